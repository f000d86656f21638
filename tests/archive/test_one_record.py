"""One record per archived notice: the notice's record.pdf is then the sealed, stamped file; the
归档章 is placed apart from the QR code and readable; downloads hash what they serve."""

import hashlib
import io
import logging
from typing import Any

import pdfplumber
import pytest
from django.test import Client

from circulation.archive import sealing
from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Notice
from tests.builders import Bureau
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@pytest.fixture
def record(bureau: Bureau, sample_completed: Notice) -> ArchivedRecord:
    return archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_notice_record_pdf_is_the_sealed_file_after_archiving(
    bureau: Bureau, record: ArchivedRecord, api: Any
) -> None:
    response = api(bureau.clerk).get(f"/api/v1/notices/{record.notice_id}/record.pdf")
    assert response.status_code == 200
    body = _body(response)
    assert hashlib.sha256(body).hexdigest() == record.record_sha256
    assert response["X-Record-SHA256"] == record.record_sha256
    assert response["Content-Length"] == str(record.record_size)
    assert response["X-Archival-Code"]
    archived = api(bureau.archivist).get(f"/api/v1/archive/{record.archival_code}/record.pdf")
    # Saved under its 档号 (the name may hold non-ASCII, hence RFC 5987's filename*).
    assert archived["Content-Disposition"].startswith("attachment; filename")
    assert "WS" in archived["Content-Disposition"]
    assert body == _body(archived)  # one record, whichever way it is fetched
    event = AuditEvent.objects.filter(action="record.downloaded").latest("seq")
    assert event.data["sha256"] == record.record_sha256
    assert event.data["archival_code"] == record.archival_code


def test_the_verify_page_shows_the_archival_code_and_the_sealed_hash(
    bureau: Bureau, record: ArchivedRecord
) -> None:
    response = Client()
    response.force_login(bureau.clerk)
    frozen = record.notice.record_renditions.get(frozen=True)
    url = f"/records/{frozen.pk}/verify/"
    html = response.get(url).content.decode()
    assert record.archival_code in html
    assert record.record_sha256 in html
    assert response.post(url).status_code == 302  # 立即校验: the full check, recorded
    assert "归档文件完整" in response.get(url).content.decode()


def _red(color: Any) -> bool:
    values = tuple(color or ())
    return len(values) == 3 and values[0] > 0.5 and values[1] < 0.2 and values[2] < 0.2


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _intersect(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_stamp_and_the_qr_code_do_not_overlap_and_the_stamp_is_readable(
    record: ArchivedRecord,
) -> None:
    with record.file.open("rb") as handle:
        data = handle.read()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        qr_images = [(i["x0"], i["top"], i["x1"], i["bottom"]) for i in page.images]
        assert len(qr_images) == 1  # the QR code, an image on page 1
        qr = qr_images[0]
        stamp_chars = [c for c in page.chars if _red(c.get("non_stroking_color"))]
        stamp_lines = [
            (o["x0"], o["top"], o["x1"], o["bottom"])
            for o in (*page.lines, *page.rects)
            if _red(o.get("stroking_color"))
        ]
        assert stamp_chars
        assert stamp_lines
        stamp = _union(
            [(c["x0"], c["top"], c["x1"], c["bottom"]) for c in stamp_chars] + stamp_lines
        )
        assert not _intersect(stamp, qr), (stamp, qr)
        # Nothing of the record's own text lies under the stamp.
        covered = [
            c["text"]
            for c in page.chars
            if not _red(c.get("non_stroking_color"))
            and _intersect(stamp, (c["x0"], c["top"], c["x1"], c["bottom"]))
        ]
        assert covered == []
        text = "".join((page.crop(stamp).extract_text() or "").split())
    # Two rows of three cells, each a label over its value (read row by row).
    assert "全宗号年度件号" in text, text
    assert f"{record.fonds_code}{record.year}{record.item_no:04d}" in text, text
    assert "机构（问题）保管期限页数" in text, text
    assert f"{record.unit_code}定期30年{record.page_count}" in text, text


def _attachment_url(record: ArchivedRecord) -> str:
    attachment_id = record.attachments[0]["id"]
    return f"/api/v1/archive/{record.archival_code}/attachments/{attachment_id}/"


def _alter_in_place(record: ArchivedRecord) -> None:
    """Same size, other bytes: only the hash can tell."""
    attachment = record.notice.attachments.get(pk=record.attachments[0]["id"])
    path = attachment.file.path
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[-2] ^= 0xFF
    with open(path, "wb") as handle:
        handle.write(bytes(data))


def test_an_altered_attachment_is_refused_and_logged(
    bureau: Bureau, record: ArchivedRecord, api: Any, caplog: Any
) -> None:
    intact = api(bureau.archivist).get(_attachment_url(record))
    assert intact.status_code == 200
    assert hashlib.sha256(_body(intact)).hexdigest() == record.attachments[0]["sha256"]

    _alter_in_place(record)
    with caplog.at_level(logging.ERROR, logger="circulation.archive.sealing"):
        refused = api(bureau.archivist).get(_attachment_url(record))
    assert refused.status_code == 409
    assert refused.json()["code"] == "file_altered"
    assert "download refused" in caplog.text


def test_a_large_altered_attachment_never_arrives_complete(
    bureau: Bureau, record: ArchivedRecord, api: Any, monkeypatch: Any, caplog: Any
) -> None:
    monkeypatch.setattr(sealing, "IN_MEMORY_MAX_BYTES", 0)  # every file streams
    monkeypatch.setattr(sealing, "STREAM_CHUNK", 64)
    streamed = api(bureau.archivist).get(_attachment_url(record))
    assert hashlib.sha256(_body(streamed)).hexdigest() == record.attachments[0]["sha256"]

    _alter_in_place(record)
    response = api(bureau.archivist).get(_attachment_url(record))
    assert response.status_code == 200  # the headers went out before the last chunk
    received = bytearray()

    def read_all() -> None:
        for chunk in response.streaming_content:
            received.extend(chunk)

    with pytest.raises(sealing.SealedFileAltered):
        read_all()
    assert len(received) < int(response["Content-Length"])  # the last chunk is held back
    assert "download refused" in caplog.text
