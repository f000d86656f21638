"""manage.py verify_audit: OK on a clean chain; a non-zero exit naming the event after an edit
or a deletion made around the append-only trigger (as a database superuser could)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction

from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Person
from tests.helpers import write_around_audit_trigger
from workflows.services.registration import NoticeInput, register_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def events() -> list[AuditEvent]:
    call_command("seed_demo", password="demo-pass-2022", stdout=StringIO())
    clerk = Person.objects.get(username="clerk")
    register_notice(
        Actor(clerk),
        NoticeInput(
            doc_number="舞工信〔2022〕26号",
            title="关于测试的通知",
            issuer="舞阳县工业和信息化局",
            secrecy="public",
        ),
    )
    return list(AuditEvent.objects.order_by("seq"))


def run() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_empty_chain_is_ok() -> None:
    assert "0 events checked" in run()


def test_clean_chain_is_ok(events: list[AuditEvent]) -> None:
    output = run()
    assert f"Audit chain OK: {len(events)} events checked" in output
    assert "审计链完整" in output


def test_the_trigger_refuses_plain_updates(events: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[1].pk).update(action="notice.forged")


def test_edited_event_fails_naming_it(events: list[AuditEvent]) -> None:
    target = events[3]
    write_around_audit_trigger(
        "UPDATE records_auditevent SET data = %s WHERE id = %s", ['{"forged": true}', target.pk]
    )
    with pytest.raises(CommandError, match=f"#{target.seq}") as excinfo:
        run()
    assert excinfo.value.returncode != 0
    assert "content altered" in str(excinfo.value)


def test_deleted_event_fails(events: list[AuditEvent]) -> None:
    target = events[2]
    write_around_audit_trigger("DELETE FROM records_auditevent WHERE id = %s", [target.pk])
    with pytest.raises(CommandError, match=f"#{target.seq}"):
        run()


def test_exit_status_from_the_command_line(events: list[AuditEvent]) -> None:
    write_around_audit_trigger(
        "UPDATE records_auditevent SET actor_username = %s WHERE id = %s", ["mallory", events[0].pk]
    )
    with pytest.raises(SystemExit) as excinfo:
        execute_from_command_line(["manage.py", "verify_audit"])
    assert excinfo.value.code == 1
