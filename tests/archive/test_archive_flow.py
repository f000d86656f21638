"""Archiving the sample notice after a full circulation: 档号, 归档章, PDF/A, audit, API."""

import io
from typing import Any

import pdfplumber
import pikepdf
import pypdf
import pytest

from circulation.ackrecord.models import RecordRendition
from circulation.archive import stamp
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Notice
from tests.archive.builders import completed_notice, registered
from tests.builders import Bureau
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db

SAMPLE_CODE = "Z109-WS·2022-D30-BGS-0001"


def test_sample_notice_gets_its_archival_code_and_stamp(
    bureau: Bureau, sample_completed: Notice, media: Any
) -> None:
    record = archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")

    assert record.archival_code == SAMPLE_CODE  # 年度 from 成文日期 2022-09-29
    assert (record.fonds_code, record.year, record.retention) == ("Z109", 2022, "D30")
    assert (record.unit_code, record.item_no) == ("BGS", 1)  # the organisation's filing unit
    assert record.file.name == f"archive/Z109/2022/{SAMPLE_CODE}.pdf"
    data = (media / record.file.name).read_bytes()
    assert len(data) == record.record_size
    import hashlib

    assert hashlib.sha256(data).hexdigest() == record.record_sha256
    assert record.checks_report["ok"] is True
    assert set(record.checks_report["aspects"]) == {
        "authenticity",
        "integrity",
        "usability",
        "security",
    }
    assert len(record.attachments) == 1
    usability = {c["code"]: c["ok"] for c in record.checks_report["aspects"]["usability"]["checks"]}
    assert usability == {
        "opens": True,
        "fonts_embedded": True,
        "pdfa": True,
        "sealed_opens": True,
        "sealed_fonts_embedded": True,
        "sealed_pdfa": True,
        "sealed_stamp": True,
    }

    first_page = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for text in ("全宗号", "Z109", "年度", "2022", "保管期限", "定期30年", "件号", "0001", "BGS"):
        assert text in first_page, text
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        stamp_words = [w for w in page.extract_words() if w["text"] in {"Z109", "0001"}]
        assert stamp_words, page.extract_text()
        # top right: right half of the page, top tenth
        assert all(w["x0"] > page.width / 2 and w["top"] < page.height / 10 for w in stamp_words)
        _stamp_covers_nothing(page)
        assert record.page_count == len(pdf.pages)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3"
        assert meta.get("pdfaid:conformance") == "B"
        assert "record.json" in pdf.attachments

    notice = Notice.objects.get(pk=sample_completed.pk)
    assert notice.state == "archived"
    event = AuditEvent.objects.get(notice=notice, action="notice.archived")
    assert event.data["archival_code"] == SAMPLE_CODE
    assert event.data["sha256"] == record.record_sha256
    assert (event.from_state, event.to_state) == ("completed", "archived")
    assert event.actor_username == "archivist"
    assert ItemCounter.objects.get().last_value == 1
    rendition = RecordRendition.objects.get(notice=notice)
    assert rendition.frozen
    assert rendition.sha256 == record.rendition_sha256
    assert AuditEvent.objects.filter(notice=notice, action="record.frozen").count() == 1
    # the sealed copy is kept for inspection by the next test run's developer
    (media / "last-sealed.pdf").write_bytes(data)


def _is_red(color: Any) -> bool:
    return isinstance(color, tuple) and len(color) == 3 and color[0] > 0.7 and max(color[1:]) < 0.1


def _stamp_covers_nothing(page: Any) -> None:
    """Every character inside the stamp's box is the stamp's own (red); the record's text is
    never under it."""
    mm = 72 / 25.4
    x1 = page.width - stamp.MARGIN_RIGHT_MM * mm
    x0 = x1 - stamp.STAMP_W_MM * mm
    top = stamp.MARGIN_TOP_MM * mm
    bottom = top + stamp.STAMP_H_MM * mm
    inside = [
        c
        for c in page.chars
        if c["x1"] > x0 and c["x0"] < x1 and c["bottom"] > top and c["top"] < bottom
    ]
    red = [c for c in inside if _is_red(c["non_stroking_color"])]
    assert red
    assert inside == red, "".join(c["text"] for c in inside if c not in red)


def test_archive_api_creates_the_record(bureau: Bureau, sample_completed: Notice, api: Any) -> None:
    response = api(bureau.archivist).post(
        f"/api/v1/notices/{sample_completed.pk}/archive/",
        {"retention": "定期30年"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["archival_code"] == SAMPLE_CODE
    assert len(body["record_sha256"]) == 64
    assert body["retention"] == "D30"
    assert body["retention_label"] == "定期30年"
    assert body["date_text"] == "20220929"

    again = api(bureau.archivist).post(
        f"/api/v1/notices/{sample_completed.pk}/archive/", {"retention": "D30"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_archived"
    assert again.json()["archival_code"] == SAMPLE_CODE


def test_unit_and_year_choices(bureau: Bureau) -> None:
    notice = completed_notice(bureau, issued_on=None, attachment=False)
    record = archive_notice(Actor(bureau.archivist), notice.pk, retention="Y", unit_code="gyg")
    year = notice.received_at.astimezone().year
    assert record.archival_code == f"Z109-WS·{year}-Y-GYG-0001"
    assert record.date_is_receipt
    assert record.remarks


def test_archiving_a_notice_that_is_not_completed_is_409(bureau: Bureau, api: Any) -> None:
    notice = registered(bureau.clerk)
    response = api(bureau.archivist).post(
        f"/api/v1/notices/{notice.pk}/archive/", {"retention": "D30"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert response.json()["detail"]
    assert response.json()["detail_en"]
    assert not ArchivedRecord.objects.exists()
    notice.refresh_from_db()
    assert notice.state == "registered"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"retention": "D20"}, "retention"),
        ({}, "retention"),
        ({"retention": "Y", "unit": "NOPE"}, "unit"),
    ],
)
def test_bad_input_is_400(
    bureau: Bureau, sample_completed: Notice, api: Any, payload: dict, field: str
) -> None:
    response = api(bureau.archivist).post(
        f"/api/v1/notices/{sample_completed.pk}/archive/", payload, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not ArchivedRecord.objects.exists()


def test_only_archivists_and_admins_archive(
    bureau: Bureau, sample_completed: Notice, api: Any, outsider: Any
) -> None:
    for user in (bureau.clerk, outsider):
        response = api(user).post(
            f"/api/v1/notices/{sample_completed.pk}/archive/", {"retention": "D30"}, format="json"
        )
        assert response.status_code == 403
    assert not ArchivedRecord.objects.exists()
