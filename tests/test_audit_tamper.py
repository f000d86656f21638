"""The audit log cannot be emptied (TRUNCATE and the chain head's DELETE are refused), emptying it
around the guards is detected, the head must agree with the events, and ``audit/verify`` tells a
non-superuser about their own organisation only while still verifying the whole chain."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from circulation.records.audit import Scope, verify_chain
from circulation.records.models import AuditChainHead, AuditEvent, Notice
from circulation.records.roles import ARCHIVIST, CLERK
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.helpers import circulating_notice, registered_notice, write_around_audit_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(bureau: Bureau) -> Notice:
    return circulating_notice(bureau.clerk)  # 3 events: received, registered, forwarded


def _sql(statement: str) -> None:
    with connection.cursor() as cursor:
        # the test's rows were inserted in this transaction: run their deferred FK checks first,
        # or PostgreSQL refuses TRUNCATE for "pending trigger events" before the guard is asked
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)


def _truncate_around_guard(tables: str) -> None:
    """What a database superuser can do: TRUNCATE with the triggers off."""
    _sql("SELECT 1")
    write_around_audit_trigger(f"TRUNCATE {tables}", [])


@pytest.mark.parametrize("table", ["records_auditevent", "records_auditchainhead"])
def test_truncate_is_refused(notice: Notice, table: str) -> None:
    with pytest.raises(DatabaseError, match="审计日志不可清空"), transaction.atomic():
        _sql(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 3


def test_truncating_a_notice_cascade_is_refused(notice: Notice) -> None:
    """TRUNCATE … CASCADE from the notices reaches the events and fires their trigger."""
    with pytest.raises(DatabaseError, match="审计日志不可清空"), transaction.atomic():
        _sql("TRUNCATE records_notice CASCADE")
    assert Notice.objects.count() == 1


def test_the_chain_head_cannot_be_deleted(notice: Notice) -> None:
    with pytest.raises(DatabaseError, match="审计日志不可清空"), transaction.atomic():
        AuditChainHead.objects.all().delete()
    assert AuditChainHead.objects.get().last_seq == 3


def test_events_truncated_around_the_guard_are_detected(notice: Notice) -> None:
    _truncate_around_guard("records_auditevent")
    report = verify_chain()
    assert (report.ok, report.events_checked, report.first_bad_event) == (False, 0, 1)
    assert "链尾缺失" in report.reason


def test_everything_truncated_around_the_guard_is_detected(notice: Notice) -> None:
    _truncate_around_guard("records_auditevent, records_auditchainhead")
    report = verify_chain()
    assert report.ok is False
    assert "链头缺失" in report.reason
    with pytest.raises(CommandError, match="chain head missing"):
        call_command("verify_audit", stdout=StringIO())


def test_an_empty_log_with_notices_is_detected(notice: Notice) -> None:
    """Emptied and given a fresh head: the chain is consistent, but the notices have no history."""
    _truncate_around_guard("records_auditevent, records_auditchainhead")
    AuditChainHead.objects.create(pk=1)
    report = verify_chain()
    assert (report.ok, report.events_checked) == (False, 0)
    assert "审计日志为空但存在收文" in report.reason


def test_deleting_the_head_row_is_detected(notice: Notice, api: Any, bureau: Bureau) -> None:
    write_around_audit_trigger("DELETE FROM records_auditchainhead", [])
    answer = api(bureau.archivist).get("/api/v1/audit/verify/").json()
    assert answer["ok"] is False
    assert answer["first_bad_event"] is None
    assert "chain head missing" in answer["reason"]


def test_a_head_behind_the_events_is_detected(notice: Notice) -> None:
    _sql("UPDATE records_auditchainhead SET last_seq = 2")
    report = verify_chain()
    assert (report.ok, report.first_bad_event) == (False, 3)
    assert "链头与事件不符" in report.reason


def test_a_head_with_another_hash_is_detected(notice: Notice) -> None:
    _sql("UPDATE records_auditchainhead SET last_hash = repeat('f', 64)")
    report = verify_chain()
    assert (report.ok, report.first_bad_event) == (False, 3)
    assert "链头哈希" in report.reason


# --------------------------------------------------------------------------- organisation scope


@pytest.fixture
def other_org_notice(notice: Notice) -> Notice:
    """A second organisation's notice, registered after the bureau's (events 4 and 5)."""
    other = OrganisationFactory(name="舞阳县教育局", fonds_code="Z110")
    clerk = PersonFactory(username="edu_clerk", organisation=other, roles=[CLERK])
    return registered_notice(clerk, "舞教〔2022〕3号")


def test_verify_counts_only_the_callers_organisation(
    other_org_notice: Notice, api: Any, bureau: Bureau
) -> None:
    assert AuditEvent.objects.count() == 5
    assert api(bureau.archivist).get("/api/v1/audit/verify/").json() == {
        "ok": True,
        "events_checked": 3,
    }
    other_archivist = PersonFactory(
        username="edu_archivist", organisation=other_org_notice.organisation, roles=[ARCHIVIST]
    )
    assert api(other_archivist).get("/api/v1/audit/verify/").json() == {
        "ok": True,
        "events_checked": 2,
    }
    root = PersonFactory(username="root", organisation=None, is_superuser=True)
    assert api(root).get("/api/v1/audit/verify/").json() == {"ok": True, "events_checked": 5}


def test_another_organisations_bad_event_is_reported_without_its_number(
    other_org_notice: Notice, api: Any, bureau: Bureau
) -> None:
    tampered = AuditEvent.objects.get(notice=other_org_notice, action="notice.registered")
    write_around_audit_trigger(
        "UPDATE records_auditevent SET data = %s WHERE id = %s", ['{"forged": 1}', tampered.pk]
    )
    mine = api(bureau.archivist).get("/api/v1/audit/verify/").json()
    assert mine["ok"] is False
    assert mine["first_bad_event"] is None
    assert "其他机构" in mine["reason"]
    assert mine["events_checked"] == 3
    theirs = verify_chain(scope=Scope(other_org_notice.organisation_id))
    assert (theirs.ok, theirs.first_bad_event) == (False, tampered.seq)
