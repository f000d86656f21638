"""Sealed records: tampering with the file or the row is detected; the database trigger, the ORM,
the API and the admin refuse changes and deletions."""

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, InternalError, connection, transaction

from circulation.archive.models import ArchivedRecord, SealedRecordError
from circulation.archive.verification import verify_record
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Notice, Person
from tests.builders import Bureau
from tests.helpers import write_around_audit_trigger
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(bureau: Bureau, sample_completed: Notice) -> ArchivedRecord:
    return archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")


def _url(record: ArchivedRecord, suffix: str = "") -> str:
    return f"/api/v1/archive/{record.archival_code}/{suffix}"


def _verify_command() -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_archive", stdout=out, stderr=err)
    except CommandError as exc:
        return False, str(exc) + err.getvalue()
    return True, out.getvalue()


def test_a_clean_record_verifies(bureau: Bureau, record: ArchivedRecord, api: Any) -> None:
    result = verify_record(record)
    assert result.ok, result.problems
    assert result.sha256 == record.record_sha256
    response = api(bureau.archivist).get(_url(record, "verify/"))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["sha256"] == record.record_sha256
    assert body["checked_at"]
    assert body["problems"] == []
    ok, output = _verify_command()
    assert ok, output
    assert "Archive OK: 1 records" in output


def test_a_tampered_sealed_file_is_detected(
    bureau: Bureau, record: ArchivedRecord, api: Any, media: Any
) -> None:
    path = media / record.file.name
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))

    body = api(bureau.archivist).get(_url(record, "verify/")).json()
    assert body["ok"] is False
    assert body["sha256"] != record.record_sha256
    assert [p["code"] for p in body["problems"]] == ["file_altered"]
    ok, output = _verify_command()
    assert not ok
    assert record.archival_code in output
    assert "file_altered" in output
    # and the altered file is not served
    assert api(bureau.archivist).get(_url(record, "record.pdf")).status_code == 409


def test_a_row_edited_around_the_trigger_is_detected(
    bureau: Bureau, record: ArchivedRecord, api: Any
) -> None:
    write_around_audit_trigger(
        "UPDATE archive_archivedrecord SET title = %s WHERE id = %s", ["改过的题名", record.pk]
    )
    body = api(bureau.archivist).get(_url(record, "verify/")).json()
    assert body["ok"] is False
    assert {p["code"] for p in body["problems"]} >= {"row_hash_mismatch", "row_changed"}
    ok, output = _verify_command()
    assert not ok
    assert "row_hash_mismatch" in output


def test_a_row_whose_hashes_were_rewritten_is_still_detected_by_the_audit_event(
    bureau: Bureau, record: ArchivedRecord, media: Any
) -> None:
    """Forge a new file and rewrite both hashes in the row: the sealed audit event disagrees."""
    import hashlib

    from circulation.archive.sealing import row_hash

    path = media / record.file.name
    path.chmod(0o644)
    forged = path.read_bytes() + b"\n%forged"
    path.write_bytes(forged)
    record.record_sha256 = hashlib.sha256(forged).hexdigest()
    record.record_size = len(forged)
    write_around_audit_trigger(
        "UPDATE archive_archivedrecord SET record_sha256 = %s, record_size = %s, row_sha256 = %s"
        " WHERE id = %s",
        [record.record_sha256, record.record_size, row_hash(record), record.pk],
    )
    result = verify_record(ArchivedRecord.objects.get(pk=record.pk))
    assert not result.ok
    # The SM3 stored beside the SHA-256 was not rewritten: it tells too.
    assert {p.code for p in result.problems} == {"row_sha256_changed", "row_changed", "sm3_altered"}


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE archive_archivedrecord SET title = 'x' WHERE id = %s",
        "DELETE FROM archive_archivedrecord WHERE id = %s",
    ],
)
def test_the_database_trigger_refuses_update_and_delete(record: ArchivedRecord, sql: str) -> None:
    with (
        pytest.raises((IntegrityError, InternalError)) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [record.pk])
    assert "已归档记录不可修改或删除" in str(caught.value)
    assert ArchivedRecord.objects.get(pk=record.pk).title == record.title


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE records_notice SET title = 'x' WHERE id = %s",
        "UPDATE records_notice SET state = 'circulating' WHERE id = %s",
        "DELETE FROM records_notice WHERE id = %s",
    ],
)
def test_the_archived_notice_row_is_sealed_too(record: ArchivedRecord, sql: str) -> None:
    with (
        pytest.raises((IntegrityError, InternalError)) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [record.notice_id])
    assert "已归档记录不可修改或删除" in str(caught.value)
    notice = Notice.objects.get(pk=record.notice_id)
    assert (notice.state, notice.title) == ("archived", record.title)


def test_the_orm_refuses_changes_and_deletions(record: ArchivedRecord) -> None:
    record.title = "x"
    with pytest.raises(SealedRecordError):
        record.save()
    with pytest.raises(SealedRecordError):
        record.delete()
    with pytest.raises(SealedRecordError):
        ArchivedRecord.objects.filter(pk=record.pk).update(title="x")
    with pytest.raises(SealedRecordError):
        ArchivedRecord.objects.filter(pk=record.pk).delete()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_api_has_no_way_to_change_a_record(
    bureau: Bureau, record: ArchivedRecord, api: Any, method: str
) -> None:
    client = api(bureau.archivist)
    for url in (_url(record), _url(record, "verify/"), "/api/v1/archive/"):
        response = getattr(client, method)(url, {"title": "x"}, format="json")
        assert response.status_code == 405, (url, response.status_code)
    fresh = ArchivedRecord.objects.get(pk=record.pk)
    assert fresh.title == record.title
    assert verify_record(fresh).ok


def test_the_admin_refuses_changes_and_deletions(record: ArchivedRecord, client: Any) -> None:
    admin_user = Person.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    client.force_login(admin_user)
    base = f"/admin/archive/archivedrecord/{record.pk}"
    assert client.get(f"{base}/change/").status_code == 200  # view only
    page = client.get(f"{base}/change/").content.decode()
    assert 'name="_save"' not in page
    changed = client.post(f"{base}/change/", {"title": "x", "archival_code": "X"})
    assert changed.status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/archive/archivedrecord/",
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert client.get("/admin/archive/archivedrecord/add/").status_code == 403
    fresh = ArchivedRecord.objects.get(pk=record.pk)
    assert fresh.title == record.title
    assert verify_record(fresh).ok


def test_downloads_are_audited_and_checked(
    bureau: Bureau, record: ArchivedRecord, api: Any
) -> None:
    client = api(bureau.archivist)
    response = client.get(_url(record, "record.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    import hashlib

    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == record.record_sha256
    attachment = record.attachments[0]
    response = client.get(_url(record, f"attachments/{attachment['id']}/"))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == attachment["sha256"]
    assert client.get(_url(record, "attachments/999999/")).status_code == 404
    events = AuditEvent.objects.filter(action="archive.downloaded").order_by("seq")
    assert [e.data["what"] for e in events] == ["record.pdf", "attachment"]
    assert all(e.actor_username == "archivist" for e in events)
    assert events[0].data["archival_code"] == record.archival_code


def test_detail_and_lookup_by_code(bureau: Bureau, record: ArchivedRecord, api: Any) -> None:
    client = api(bureau.archivist)
    body = client.get(_url(record)).json()
    assert body["archival_code"] == record.archival_code
    assert body["checks_report"]["ok"] is True
    assert body["attachments"][0]["sha256"] == record.attachments[0]["sha256"]
    assert body["unit_name"] == "办公室"
    # look-alike dot and lower case find the same record; nonsense is 404
    assert client.get("/api/v1/archive/z109-ws.2022-d30-bgs-0001/").status_code == 200
    assert client.get("/api/v1/archive/Z109-WS·2022-D30-BGS-0009/").status_code == 404
    assert client.get("/api/v1/archive/not-a-code/").status_code == 404


def test_verify_archive_checks_the_audit_chain(record: ArchivedRecord) -> None:
    write_around_audit_trigger(
        "UPDATE records_auditevent SET data = '{}'::jsonb WHERE action = 'notice.archived'", []
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_archive", "--audit-only", stdout=out, stderr=err)
    assert "Audit chain broken at event #" in str(caught.value)
    # the full run also names the record whose sealing event no longer matches
    with pytest.raises(CommandError) as caught:
        call_command("verify_archive", stdout=out, stderr=err)
    assert f"{record.archival_code}: audit_altered" in str(caught.value)
