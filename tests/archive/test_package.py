"""The archive package verifies anywhere with standard tools only — exactly the commands of
docs/archive-package.md (sha256sum, openssl cms, pyhanko sign validate) — and fails after any file
in it is changed. Its 文件目录.XML, per-record GB/T 33480 metadata with 办理信息 and the signed
audit checkpoint are what an archive receiving it reads."""

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from circulation.records.models import AuditChainHead, AuditEvent
from tests.archive.builders import completed_notice
from tests.builders import Bureau
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def verification_commands(bag: Path) -> list[list[str]]:
    """docs/archive-package.md, section 校验 / verify, in order."""
    commands = [
        ["sha256sum", "--quiet", "--strict", "-c", "manifest-sha256.txt"],
        ["sha256sum", "--quiet", "--strict", "-c", "tagmanifest-sha256.txt"],
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", "manifest-sha256.txt.p7s", "-content", "manifest-sha256.txt",
            "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null",
        ],
    ]  # fmt: skip
    for checkpoint in sorted((bag / "data" / "audit-checkpoint").glob("*.json")):
        name = f"data/audit-checkpoint/{checkpoint.name}"
        commands.append(
            [
                "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                "-in", f"{name}.p7s", "-content", name,
                "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null",
            ]
        )  # fmt: skip
    for pdf in sorted((bag / "data" / "records").glob("*.pdf")):
        commands.append(
            [
                str(BIN / "pyhanko"), "sign", "validate", "--trust", "root.pem",
                "--trust-replace", "--no-revocation-check", f"data/records/{pdf.name}",
            ]
        )  # fmt: skip
    return commands


def verify(bag: Path) -> list[tuple[list[str], subprocess.CompletedProcess[str]]]:
    """Run the commands until one fails; every result so far."""
    results = []
    for command in verification_commands(bag):
        result = subprocess.run(command, cwd=bag, capture_output=True, text=True, check=False)
        results.append((command, result))
        if result.returncode != 0:
            break
    return results


@pytest.fixture
def exported(bureau: Bureau, sealed_with: Any, tmp_path: Path) -> tuple[Path, ArchivedRecord]:
    sealed_with()
    notice = completed_notice(bureau)
    record = archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    bureau.clerk.display_name = "王登记"
    bureau.clerk.save(update_fields=["display_name"])
    out = tmp_path / "package"
    call_command("export_archive", "--year", "2022", "--out", str(out))
    return out, record


def test_the_package_verifies_with_the_documented_commands(
    exported: tuple[Path, ArchivedRecord],
) -> None:
    bag, _record = exported
    results = verify(bag)
    failed = [(c, r.stdout + r.stderr) for c, r in results if r.returncode != 0]
    assert failed == []
    assert len(results) == 5  # two manifests, the manifest's and the checkpoint's CMS, one PDF
    assert "Verification successful" in results[2][1].stderr
    assert "INTACT" in results[4][1].stdout
    assert "TRUSTED" in results[4][1].stdout


def test_the_package_has_the_transfer_layout(exported: tuple[Path, ArchivedRecord]) -> None:
    bag, record = exported
    data = bag / "data"
    readme = (data / "说明文件.TXT").read_text(encoding="utf-8")
    assert "sha256sum -c manifest-sha256.txt" in readme
    assert record.signature["signer"] in readme

    directory = ET.fromstring((data / "文件目录.XML").read_bytes())  # noqa: S314 - our own file
    entries = directory.findall("条目")
    assert len(entries) == 1
    assert [child.tag for child in entries[0]] == [
        *("顺序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数"),
        *("电子档案名称", "备注"),
    ]
    assert entries[0].findtext("档号") == record.archival_code
    assert entries[0].findtext("电子档案名称") == f"records/{record.archival_code}.pdf"
    assert (data / "records" / f"{record.archival_code}.pdf").is_file()

    meta = ET.fromstring(  # noqa: S314 - our own file
        (data / "metadata" / f"{record.archival_code}.xml").read_bytes()
    )
    official = meta.find("公文元数据")
    assert official is not None
    assert official.findtext("发文字号") == record.doc_number
    assert official.findtext("标题") == record.title
    assert official.findtext("成文日期") == "2022-09-29"
    assert official.findtext("密级") == "公开"
    steps = meta.findall("办理信息/办理")
    kinds = [s.findtext("办理类型") for s in steps]
    recipients = record.notice.acknowledgements.count()
    assert recipients >= 2
    assert kinds == [
        *("签收", "登记", "传阅"),
        *("阅读", "阅知确认") * recipients,
        *("办结", "归档"),
    ]
    events = {e.seq: e for e in AuditEvent.objects.filter(notice=record.notice)}
    for step in steps:
        event = events[int(step.attrib["审计序号"])]
        assert step.findtext("审计哈希") == event.hash
        assert step.find("办理者") is not None
        assert step.find("办理者").attrib["用户名"] == event.actor_username  # type: ignore[union-attr]
        assert step.findtext("办理时间")
    assert steps[0].findtext("办理者") == "王登记"  # the clerk's name, not only the username
    confirmed = next(s for s in steps if s.findtext("办理类型") == "阅知确认")
    assert confirmed.findtext("办理意见") == "已认真学习"

    head = AuditChainHead.objects.get()
    checkpoint = data / "audit-checkpoint" / f"{head.last_seq:012d}.json"
    assert checkpoint.is_file()
    assert head.last_hash in checkpoint.read_text()


def _change_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] = data[middle] ^ 0x01 if data[middle] not in b"\r\n" else ord("x")
    path.write_bytes(bytes(data))


def test_changing_any_file_fails_verification(
    exported: tuple[Path, ArchivedRecord], tmp_path: Path
) -> None:
    bag, _record = exported
    files = sorted(p.relative_to(bag) for p in bag.rglob("*") if p.is_file())
    assert len(files) >= 15
    passed = []
    for index, name in enumerate(files):
        copy = tmp_path / f"tampered-{index}"
        shutil.copytree(bag, copy)
        _change_one_byte(copy / name)
        results = verify(copy)
        if results[-1][1].returncode == 0:
            passed.append(str(name))
        shutil.rmtree(copy)
    assert passed == []
