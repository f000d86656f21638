"""manage.py import_notice: dry run table, --commit through the core, duplicates, failures."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from circulation.records.models import AuditEvent, Notice
from tests.builders import Bureau
from tests.intake import builders

pytestmark = pytest.mark.django_db


def folder(tmp_path: Path) -> Path:
    """Four good notices in four formats, a duplicate variant, a draft and a broken file."""
    root = tmp_path / "inbox"
    (root / "sub").mkdir(parents=True)
    for serial, kind in enumerate(["txt", "docx", "pdf", "ofd"], start=30):
        name, data = builders.build(kind, builders.notice_lines(number=f"舞工信〔2022〕{serial}号"))
        (root / f"{serial}-{name}").write_bytes(data)
    (root / "sub" / "dup.txt").write_bytes(
        builders.txt(builders.notice_lines(number="舞工信[2022]030号"), "gbk")
    )
    (root / "draft.txt").write_bytes("各位：\n请按时参加会议。\n".encode())
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (root / "notes.md").write_text("ignored")
    (root / ".hidden.txt").write_text("ignored")
    return root


def run(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("import_notice", *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_dry_run_shows_a_table_and_writes_nothing(
    bureau: Bureau, tmp_path: Path, media: Any
) -> None:
    root = folder(tmp_path)
    output, error = run(str(root), "--clerk", "clerk")
    assert "预览 dry run" in output
    assert "舞工信〔2022〕33号" in output
    assert "可登记 would register: 4" in output
    assert "重复 duplicates: 1" in output  # dup.txt is 30 again, in this run
    assert "待补全 incomplete: 1" in output
    assert "失败 failed: 1" in output
    assert "broken.pdf" in output
    assert "notes.md" not in output
    assert ".hidden" not in output
    assert error is not None  # the broken file fails the run
    assert Notice.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_commit_registers_each_file_with_it_as_the_first_attachment(
    bureau: Bureau, tmp_path: Path, media: Any
) -> None:
    root = folder(tmp_path)
    output, error = run(str(root), "--commit", "--clerk", "clerk")
    assert "已登记 registered: 4" in output
    assert "重复 duplicates: 1" in output  # 舞工信[2022]030号 is 舞工信〔2022〕30号
    assert "失败 failed: 2" in output  # the draft cannot be registered without 文号; broken.pdf
    assert "draft.txt" in output
    assert "缺少：发文字号、标题、发文机关" in output
    assert error is not None
    assert "2 个文件失败" in str(error)
    notices = Notice.objects.order_by("serial")
    assert [n.doc_number for n in notices] == [f"舞工信〔2022〕{s}号" for s in range(30, 34)]
    for notice, kind in zip(notices, ["txt", "docx", "pdf", "ofd"], strict=True):
        assert notice.state == "registered"
        assert notice.received_by == bureau.clerk
        assert notice.secrecy == "internal"
        assert notice.forwards == ["国务院关于加强数字政府建设的指导意见"]
        attachments = list(notice.attachments.all())
        assert [a.extension for a in attachments] == [kind]
        assert attachments[0].original_name.endswith(f".{kind}")
        events = AuditEvent.objects.filter(notice_id=notice.pk).values_list("action", flat=True)
        assert list(events.order_by("seq")) == [
            "notice.received",
            "notice.registered",
            "notice.attachment_added",
        ]


def test_a_clean_folder_exits_zero(bureau: Bureau, tmp_path: Path, media: Any) -> None:
    name, data = builders.build("docx", builders.sample_lines())
    (tmp_path / name).write_bytes(data)
    output, error = run(str(tmp_path), "--commit", "--clerk", "clerk", "--secrecy", "公开")
    assert error is None
    assert "已登记 registered: 1" in output
    assert Notice.objects.get().secrecy == "public"
    again, error = run(str(tmp_path / name), "--commit", "--clerk", "clerk")
    assert error is None  # a duplicate is not a failure
    assert "重复 duplicates: 1" in again
    assert "收〔" in again  # named by its 收文登记号
    assert Notice.objects.count() == 1


def test_a_classified_document_fails_with_the_reason(
    bureau: Bureau, tmp_path: Path, media: Any
) -> None:
    (tmp_path / "s.txt").write_bytes(builders.txt(builders.notice_lines(head=["机密★10年"])))
    output, error = run(str(tmp_path), "--commit", "--clerk", "clerk")
    assert error is not None
    assert "涉密文件" in output
    assert Notice.objects.count() == 0


def test_commit_needs_a_clerk(bureau: Bureau, tmp_path: Path) -> None:
    _output, error = run(str(tmp_path), "--commit")
    assert error is not None
    assert "--clerk" in str(error)
    _output, error = run(str(tmp_path), "--commit", "--clerk", "gyg_1")
    assert error is not None
    assert "权限" in str(error)


def test_a_missing_path(bureau: Bureau, tmp_path: Path) -> None:
    _output, error = run(str(tmp_path / "nope.txt"))
    assert error is not None
    assert "nope.txt" in str(error)
