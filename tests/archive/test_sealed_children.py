"""An archived notice's acknowledgements, attachments and record renditions are sealed with it:
the database refuses changes, and a change made around the trigger is found by verification,
which compares the record.json sealed in the PDF with the database, naming recipient and field."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from circulation.ackrecord.models import RecordRendition
from circulation.archive.models import ArchivedRecord
from circulation.archive.verification import verify_record
from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Attachment, Notice
from tests.builders import Bureau
from tests.helpers import ack_of, write_around_audit_trigger
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(bureau: Bureau, sample_completed: Notice) -> ArchivedRecord:
    return archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")


def test_completed_but_not_archived_rows_still_change(sample_completed: Notice) -> None:
    ack = ack_of(sample_completed, "gyg_1")
    Acknowledgement.objects.filter(pk=ack.pk).update(comment="补充体会")
    Attachment.objects.filter(notice=sample_completed).update(original_name="附件一.pdf")


@pytest.mark.parametrize(
    ("model", "change"),
    [
        (Acknowledgement, {"comment": "改过的体会"}),
        (Attachment, {"sha256": "0" * 64}),
        (RecordRendition, {"sha256": "0" * 64}),
    ],
)
def test_the_database_refuses_changes(
    record: ArchivedRecord, model: Any, change: dict[str, str]
) -> None:
    rows = model.objects.filter(notice_id=record.notice_id)
    assert rows.exists()
    with pytest.raises(IntegrityError, match="已归档记录不可修改或删除"), transaction.atomic():
        rows.update(**change)
    with pytest.raises(IntegrityError, match="已归档记录不可修改或删除"), transaction.atomic():
        rows.delete()


def test_a_clean_record_matches_its_sealed_data(
    record: ArchivedRecord, django_assert_num_queries: Any
) -> None:
    """The comparison costs the record data's six queries whatever the number of recipients
    (the event and the attachments take two more)."""
    with django_assert_num_queries(8):
        result = verify_record(record)
    assert result.ok, result.problems


def _problems(record: ArchivedRecord) -> list[dict[str, str]]:
    return [p.as_dict() for p in verify_record(record).problems]


def test_a_comment_edited_around_the_trigger_is_named(
    bureau: Bureau, record: ArchivedRecord, api: Any
) -> None:
    ack = ack_of(record.notice, "gyg_2")
    write_around_audit_trigger(
        "UPDATE records_acknowledgement SET comment = %s, returned_at = confirmed_at WHERE id = %s",
        ["未学习", ack.pk],
    )
    problems = _problems(record)
    assert {(p["code"], p["subject"], p["field"]) for p in problems} == {
        ("recipient_changed", "gyg_2", "comment"),
        ("recipient_changed", "gyg_2", "returned_at"),
    }
    comment = next(p for p in problems if p["field"] == "comment")
    assert "学习体会" in comment["message"]
    assert "已认真学习" in comment["message"]
    assert "未学习" in comment["message"]
    assert "comment differs" in comment["message_en"]
    body = api(bureau.archivist).get(f"/api/v1/archive/{record.archival_code}/verify/").json()
    assert body["ok"] is False
    assert {(p["subject"], p["field"]) for p in body["problems"]} == {
        ("gyg_2", "comment"),
        ("gyg_2", "returned_at"),
    }
    with pytest.raises(CommandError, match="gyg_2"):
        call_command("verify_archive", stdout=StringIO(), stderr=StringIO())


def test_a_state_change_and_a_deleted_recipient_are_named(record: ArchivedRecord) -> None:
    changed, removed = ack_of(record.notice, "gyg_1"), ack_of(record.notice, "gyg_3")
    write_around_audit_trigger(
        "UPDATE records_acknowledgement SET state = 'returned', return_reason = %s WHERE id = %s",
        ["误发", changed.pk],
    )
    write_around_audit_trigger("DELETE FROM records_acknowledgement WHERE id = %s", [removed.pk])
    found = {(p["code"], p.get("subject"), p.get("field")) for p in _problems(record)}
    assert {
        ("recipient_changed", "gyg_1", "state"),
        ("recipient_changed", "gyg_1", "return_reason"),
        ("recipient_removed", "gyg_3", None),
    } <= found


def test_an_attachment_hash_changed_in_the_database_is_named(record: ArchivedRecord) -> None:
    attachment = Attachment.objects.get(notice_id=record.notice_id)
    write_around_audit_trigger(
        "UPDATE records_attachment SET sha256 = %s WHERE id = %s", ["a" * 64, attachment.pk]
    )
    found = {(p["code"], p.get("subject"), p.get("field")) for p in _problems(record)}
    assert ("attachment_changed", str(attachment.pk), "sha256") in found
