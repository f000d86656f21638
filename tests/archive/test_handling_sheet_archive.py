"""The 处理笺 of a 批办 notice archived with its record: stamped with the same 归档章, signed with
the same seal, sealed write-once beside the record; verified like it (a changed byte fails
naming the 处理笺); in the transfer package; served sealed once archived. 阅知 notices have none."""

import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from circulation.archive.models import ArchivedRecord
from circulation.archive.sealing import bytes_sha256
from circulation.archive.sm3 import sm3_hex
from circulation.archive.verification import verify_record
from circulation.records.actors import Actor
from circulation.records.models import AuditAction, AuditEvent, Notice, Person
from tests.ackrecord.test_handling_sheet import INSTRUCTION, at, handle_to_the_end
from tests.archive.builders import completed_notice
from tests.builders import Bureau
from tests.handling.builders import action_notice
from tests.web.test_board import signed_in
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def archived(leaders: Bureau, sealed_with: Any) -> ArchivedRecord:
    """A 批办 notice handled to the end (拟办, 批示, 承办, 传阅, 答复) and archived, signed."""
    sealed_with()
    with time_machine.travel(at(9, 29, 10, 0), tick=False):
        notice = action_notice(leaders)
    handle_to_the_end(leaders, notice)
    return archive_notice(Actor(leaders.archivist), notice.pk, retention="D30")


def sheet_bytes(record: ArchivedRecord, media: Path) -> bytes:
    return (media / record.sheet_file.name).read_bytes()


def first_page_text(pdf: bytes) -> str:
    return "".join((PdfReader(io.BytesIO(pdf)).pages[0].extract_text() or "").split())


def change_a_byte(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))


def verify_command() -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_archive", stdout=out, stderr=err)
    except CommandError as exc:
        return False, str(exc) + err.getvalue()
    return True, out.getvalue()


def test_the_sheet_is_sealed_stamped_and_signed_beside_the_record(
    archived: ArchivedRecord, media: Path
) -> None:
    record = archived
    assert record.sheet_file.name == (
        f"archive/{record.fonds_code}/{record.year}/{record.archival_code}.handling-sheet.pdf"
    )
    path = media / record.sheet_file.name
    assert path.stat().st_mode & 0o777 == 0o444  # write-once, read-only like the record
    data = path.read_bytes()
    assert bytes_sha256(data) == record.sheet_sha256
    assert sm3_hex(data) == record.sheet_sm3
    assert len(data) == record.sheet_size
    # the same 归档章 as the record on page 1, and the sheet's own content below it
    text = first_page_text(data)
    assert record.fonds_code in text
    assert f"{record.item_no:04d}" in text
    assert "".join(INSTRUCTION.split()) in "".join(
        (p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages
    ).replace("\n", "")
    # signed with the same seal as the record
    assert record.sheet_signature["signer"] == record.signature["signer"]
    assert record.sheet_signature["certificate_sha256"] == record.signature["certificate_sha256"]
    assert b"/ByteRange" in data
    # the archiving event names its hashes too
    event = AuditEvent.objects.get(notice=record.notice, action=AuditAction.NOTICE_ARCHIVED)
    assert event.data["sheet_sha256"] == record.sheet_sha256
    assert event.data["sheet_sm3"] == record.sheet_sm3
    usability = record.checks_report["aspects"]["usability"]["checks"]
    assert any(c["code"] == "sheet_stamp" and c["ok"] for c in usability)
    integrity = record.checks_report["aspects"]["integrity"]["checks"]
    assert any(c["code"] == "sheet_data" and c["ok"] for c in integrity)

    result = verify_record(record)
    assert result.ok, result.problems
    codes = {c.code: c.ok for c in result.checks}
    assert codes["sheet_sha256"] is True
    assert [c for c in codes if c.startswith("sheet_")] != ["sheet_sha256"]  # signature lines too
    assert all(ok for code, ok in codes.items() if code.startswith("sheet_"))
    ok, output = verify_command()
    assert ok, output


def test_a_changed_byte_in_the_sheet_fails_verification_naming_it(
    archived: ArchivedRecord,
    media: Path,
    api: Any,
    leaders: Bureau,
) -> None:
    record = archived
    change_a_byte(media / record.sheet_file.name)

    result = verify_record(record)
    assert not result.ok
    assert result.sha256 == record.record_sha256  # the record itself is untouched
    codes = [p.code for p in result.problems]
    assert "sheet_altered" in codes
    assert "file_altered" not in codes
    assert all("处理笺" in p.message and "处理笺" in p.message_en for p in result.problems)
    ok, output = verify_command()
    assert not ok
    assert "处理笺" in output
    # the record page's "verify now" and the API say the same
    body = api(leaders.archivist).get(f"/api/v1/archive/{record.archival_code}/verify/").json()
    assert body["ok"] is False
    assert "sheet_altered" in [p["code"] for p in body["problems"]]
    page = signed_in(leaders.archivist).post(
        f"/archive/records/{record.archival_code}/verify/", HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    assert "处理笺的 SHA-256 或 SM3 与归档时不符" in page.content.decode()
    # and the altered sheet is not served
    response = api(leaders.clerk).get(
        f"/api/v1/notices/{record.notice_id}/handling-sheet.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "file_altered"


def test_the_sheet_columns_are_sealed_by_the_trigger_and_the_row_hash(
    archived: ArchivedRecord,
) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE archive_archivedrecord SET sheet_sha256 = %s WHERE id = %s",
            ["0" * 64, archived.pk],
        )
    record = ArchivedRecord.objects.get(pk=archived.pk)
    record.sheet_sha256 = "0" * 64  # an edit around the trigger: the row hash gives it away
    result = verify_record(record)
    assert "row_hash_mismatch" in [p.code for p in result.problems]


def test_the_endpoint_serves_the_sealed_sheet_once_archived(
    archived: ArchivedRecord,
    media: Path,
    api: Any,
    leaders: Bureau,
) -> None:
    response = api(leaders.clerk).get(
        f"/api/v1/notices/{archived.notice_id}/handling-sheet.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == sheet_bytes(archived, media)
    assert response["X-Sheet-SHA256"] == archived.sheet_sha256
    assert response["Content-Type"] == "application/pdf"
    event = AuditEvent.objects.filter(notice=archived.notice).order_by("-seq").first()
    assert event is not None
    assert event.action == AuditAction.ARCHIVE_DOWNLOADED
    assert event.data["what"] == "handling-sheet.pdf"


def test_the_package_has_the_sheet_and_its_metadata(
    archived: ArchivedRecord, media: Path, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    call_command("export_archive", "--year", "2022", "--out", str(out))
    data = out / "data"
    name = f"records/{archived.archival_code}.handling-sheet.pdf"
    assert (data / name).read_bytes() == sheet_bytes(archived, media)
    manifest = (out / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert f"{archived.sheet_sha256}  data/{name}" in manifest
    meta = ET.fromstring(  # noqa: S314 - our own file
        (data / "metadata" / f"{archived.archival_code}.xml").read_bytes()
    )
    sheet = meta.find("档案管理/处理笺")
    assert sheet is not None
    assert sheet.findtext("电子档案名称") == name
    assert sheet.findtext("SHA-256") == archived.sheet_sha256
    assert sheet.findtext("SM3") == archived.sheet_sm3
    assert sheet.findtext("电子签章") == archived.sheet_signature["signer"]
    assert "handling-sheet.pdf" in (data / "说明文件.TXT").read_text(encoding="utf-8")


def test_a_read_notice_is_archived_without_a_sheet(bureau: Bureau, sealed_with: Any) -> None:
    sealed_with()
    notice: Notice = completed_notice(bureau)
    with CaptureQueriesContext(connection) as queries:
        record = archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    # nothing of the 批办 path is read: no 处理笺 data, no re-check under the lock
    handling_tables = ("records_handlingcase", "records_instruction", "records_assignment")
    assert not [q for q in queries if any(t in q["sql"] for t in handling_tables)]
    assert not record.sheet_file
    assert (record.sheet_sha256, record.sheet_sm3, record.sheet_size) == ("", "", None)
    assert record.sheet_signature == {}
    event = AuditEvent.objects.get(notice=notice, action=AuditAction.NOTICE_ARCHIVED)
    assert "sheet_sha256" not in event.data
    result = verify_record(record)
    assert result.ok
    assert not [c for c in result.checks if c.code.startswith("sheet_")]


def test_the_admin_shows_the_sheet_hashes(archived: ArchivedRecord, client: Any) -> None:
    admin_user = Person.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    client.force_login(admin_user)
    page = client.get(f"/admin/archive/archivedrecord/{archived.pk}/change/").content.decode()
    assert archived.sheet_sha256 in page
    assert archived.sheet_sm3 in page


def test_the_record_page_links_the_sealed_sheet_for_the_archivist(
    archived: ArchivedRecord,
    media: Path,
    leaders: Bureau,
) -> None:
    client = signed_in(leaders.archivist)
    page = client.get(f"/archive/records/{archived.archival_code}/").content.decode()
    link = f'href="/api/v1/notices/{archived.notice_id}/handling-sheet.pdf"'
    assert link in page
    assert archived.sheet_sha256 in page
    answer = client.get(
        f"/api/v1/notices/{archived.notice_id}/handling-sheet.pdf",
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",  # what a browser's link sends
    )
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == sheet_bytes(archived, media)
