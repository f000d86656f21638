"""Active content in PDF attachments (JavaScript, launch actions, embedded executables …): found
by one pikepdf function, kept at upload with bilingual ``warnings`` in the 201 answer (stored),
and flagged by the 四性 安全性 check at archiving as a failure that needs review."""

import io
from collections.abc import Callable
from typing import Any

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pikepdf import Array, Dictionary, Name, String

from circulation.records.active_content import find_active_content
from circulation.records.actors import Actor
from circulation.records.models import Attachment, AuditEvent
from tests.archive.builders import circulate_to_completion, registered
from tests.builders import Bureau
from tests.helpers import registered_notice, small_pdf
from workflows.services.archiving import archive_notice


def js() -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String("app.alert('hi')"))


def build(change: Callable[[pikepdf.Pdf], None]) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    change(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _open_action_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pdf.make_indirect(js())


def _launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=String("cmd.exe"))


def _page_aa(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = Dictionary(O=js())


def _names_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), js()])))


def _embedded_exe(pdf: pikepdf.Pdf) -> None:
    """An executable under an innocent name: found by its magic bytes (Flate-compressed)."""
    exe = b"MZ\x90\x00\x03" + b"\x00" * 4000
    pdf.attachments["readme.txt"] = pikepdf.AttachedFileSpec(pdf, exe, filename="readme.txt")


def _embedded_script_name(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["setup.bat"] = pikepdf.AttachedFileSpec(pdf, b"echo hi", filename="setup.bat")


def _xfa(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = Dictionary(Fields=Array(), XFA=pdf.make_stream(b"<xdp:xdp/>"))


def _rich_media(pdf: pikepdf.Pdf) -> None:
    annot = Dictionary(Type=Name.Annot, Subtype=Name.RichMedia, Rect=Array([0, 0, 10, 10]))
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])


def _plain_attachment(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"plain text", filename="n.txt")


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        (_open_action_js, {"open_action", "javascript"}),
        (_launch, {"open_action", "launch"}),
        (_page_aa, {"additional_actions", "javascript"}),
        (_names_js, {"javascript"}),
        (_embedded_exe, {"embedded_executable"}),
        (_embedded_script_name, {"embedded_executable"}),
        (_xfa, {"xfa"}),
        (_rich_media, {"rich_media"}),
    ],
)
def test_active_content_is_found(change: Callable[[pikepdf.Pdf], None], codes: set[str]) -> None:
    found = find_active_content(build(change))
    assert {item.code for item in found} == codes
    assert all(item.message and item.message_en for item in found)


@pytest.mark.parametrize("change", [lambda pdf: None, _plain_attachment])
def test_inert_pdfs_have_none(change: Callable[[pikepdf.Pdf], None]) -> None:
    assert find_active_content(build(change)) == []


def test_a_damaged_pdf_cannot_be_called_inert() -> None:
    assert [i.code for i in find_active_content(b"%PDF-1.7\n garbage")] == ["unreadable"]


def test_a_decompression_bomb_is_not_inflated() -> None:
    """40 MB of zeros in an embedded file: only its first bytes are inflated."""
    import tracemalloc

    def bomb(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["big.dat"] = pikepdf.AttachedFileSpec(pdf, b"\0" * 40_000_000)

    data = build(bomb)
    tracemalloc.start()
    assert find_active_content(data) == []
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20_000_000


# --------------------------------------------------------------------------- upload


@pytest.mark.django_db
def test_upload_keeps_the_file_and_warns(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    upload = SimpleUploadedFile("通知.pdf", build(_open_action_js), "application/pdf")
    response = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    warnings = response.json()["warnings"]
    assert {w["code"] for w in warnings} == {
        "active_content.open_action",
        "active_content.javascript",
    }
    assert all(w["message"] and w["message_en"] for w in warnings)
    assert "打开文件时自动执行" in " ".join(w["message"] for w in warnings)
    stored = Attachment.objects.get(pk=response.json()["id"])
    assert stored.warnings == warnings
    event = AuditEvent.objects.get(action="notice.attachment_added")
    assert set(event.data["warnings"]) == {w["code"] for w in warnings}
    detail = api(bureau.clerk).get(f"/api/v1/notices/{notice.pk}/").json()
    assert detail["attachments"][0]["warnings"] == warnings


@pytest.mark.django_db
def test_a_clean_upload_has_no_warnings(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    upload = SimpleUploadedFile("附件.pdf", small_pdf(), "application/pdf")
    response = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["warnings"] == []
    assert "warnings" not in AuditEvent.objects.get(action="notice.attachment_added").data


# --------------------------------------------------------------------------- archiving


@pytest.mark.django_db
def test_archiving_flags_active_content_for_review(bureau: Bureau, media: Any, api: Any) -> None:
    from workflows.services.attachments import add_attachment

    notice = registered(bureau.clerk)
    clean, bad = small_pdf(), build(_launch)
    actor = Actor(bureau.clerk)
    add_attachment(actor, notice.pk, "正文.pdf", io.BytesIO(clean), len(clean))
    flagged = add_attachment(actor, notice.pk, "附件.pdf", io.BytesIO(bad), len(bad))
    circulate_to_completion(bureau, notice)
    record = archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")

    report = record.checks_report
    assert report["ok"] is True  # archived as received …
    assert report["needs_review"] is True  # … but flagged
    security = report["aspects"]["security"]
    assert security["ok"] is False
    line = next(
        c for c in security["checks"] if c["code"] == f"attachment_{flagged.pk}_active_content"
    )
    assert line["ok"] is False
    assert line["review"] is True
    assert "须人工审核" in line["message"]
    assert "Launch" in line["message_en"]
    clean_lines = [
        c
        for c in security["checks"]
        if c["code"].startswith("attachment_") and c["code"].endswith("_active_content") and c["ok"]
    ]
    assert len(clean_lines) == 1
    body = api(bureau.archivist).get(f"/api/v1/archive/{record.archival_code}/").json()
    assert body["checks_report"]["needs_review"] is True
