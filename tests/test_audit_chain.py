"""The audit log is append-only and hash-chained: edits, deletions and a cut tail are detected."""

from itertools import pairwise
from typing import Any

import pytest
from django.db import DatabaseError, transaction

from circulation.records.audit import verify_chain
from circulation.records.models import AuditEvent
from tests.builders import Bureau
from tests.helpers import circulating_notice, opened_ack, write_around_audit_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(bureau: Bureau) -> list[AuditEvent]:
    notice = circulating_notice(bureau.clerk)
    opened_ack(notice, "gyg_1")
    return list(AuditEvent.objects.order_by("seq"))


def test_clean_chain_verifies(history: list[AuditEvent], api: Any, bureau: Bureau) -> None:
    assert [e.action for e in history] == [
        "notice.received",
        "notice.registered",
        "notice.forwarded",
        "ack.read",
    ]
    assert history[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(history))
    answer = api(bureau.archivist).get("/api/v1/audit/verify/").json()
    assert answer == {"ok": True, "events_checked": 4}


def test_database_refuses_updates_and_deletes(history: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=history[1].pk).update(action="notice.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=history[1].pk).delete()


def test_edited_event_is_detected(history: list[AuditEvent], api: Any, bureau: Bureau) -> None:
    write_around_audit_trigger(
        "UPDATE records_auditevent SET data = %s WHERE id = %s",
        ['{"registration_no": "forged"}', history[1].pk],
    )
    report = verify_chain()
    assert (report.ok, report.first_bad_event) == (False, history[1].seq)
    answer = api(bureau.archivist).get("/api/v1/audit/verify/").json()
    assert answer["ok"] is False
    assert answer["first_bad_event"] == history[1].seq


def test_deleted_event_is_detected(history: list[AuditEvent]) -> None:
    write_around_audit_trigger("DELETE FROM records_auditevent WHERE id = %s", [history[2].pk])
    report = verify_chain()
    assert (report.ok, report.first_bad_event) == (False, history[2].seq)


def test_cut_tail_is_detected(history: list[AuditEvent]) -> None:
    write_around_audit_trigger("DELETE FROM records_auditevent WHERE id = %s", [history[-1].pk])
    report = verify_chain()
    assert report.ok is False
    assert report.first_bad_event == history[-1].seq


def test_rehashed_edit_still_breaks_the_link(history: list[AuditEvent]) -> None:
    """Recomputing the edited event's hash does not help: the next event points at the old one."""
    from circulation.records.audit import event_hash

    forged = history[1]
    forged.data = {"registration_no": "forged"}
    write_around_audit_trigger(
        "UPDATE records_auditevent SET data = %s, hash = %s WHERE id = %s",
        ['{"registration_no": "forged"}', event_hash(forged), forged.pk],
    )
    report = verify_chain()
    assert (report.ok, report.first_bad_event) == (False, history[2].seq)


def test_ipv6_addresses_hash_as_stored(bureau: Bureau) -> None:
    """The database normalises IPv6 text; the hash must be over the stored form."""
    from circulation.records.actors import Actor
    from tests.helpers import ack_of
    from workflows.services.acknowledging import open_acknowledgement

    notice = circulating_notice(bureau.clerk)
    ack = ack_of(notice, "gyg_1")
    open_acknowledgement(Actor(ack.person, ip="2001:DB8:0:0::1"), ack.pk)
    event = AuditEvent.objects.get(action="ack.read")
    assert event.ip == "2001:db8::1"
    assert verify_chain().ok
