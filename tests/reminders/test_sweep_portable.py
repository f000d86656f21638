"""The sweep's set-based statements: the PostgreSQL form (arrays, one statement per digest batch)
and the portable form used on SQLite (the demo) write exactly the same rows."""

from typing import Any

import pytest
import time_machine
from django.db import connection

from circulation.records.models import Acknowledgement, AuditEvent
from tests.conftest import Bureau
from tests.reminders.conftest import at, circulate
from workflows.models import (
    Digest,
    Message,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderPolicy,
    WebhookChannel,
)
from workflows.reminders import sql
from workflows.reminders.sweep import run_reminder_sweep
from workflows.services.audit import verify_chain

pytestmark = pytest.mark.django_db


def written(after_seq: int) -> dict[str, Any]:
    """What a sweep wrote, without ids that differ between runs."""
    return {
        "reminders": sorted(
            Reminder.objects.values_list(
                "acknowledgement__person__username",
                "notice__serial",
                "kind",
                "window_key",
                "recipient__username",
                "digest__recipient__username",
            )
        ),
        "digests": sorted(
            Digest.objects.values_list("recipient__username", "window_key", "title", "body")
        ),
        "notifications": sorted(
            Notification.objects.values_list(
                "person__username", "digest__recipient__username", "title", "body", "link"
            )
        ),
        "messages": sorted(
            Message.objects.values_list(
                "digest__recipient__username",
                "channel",
                "address",
                "webhook__name",
                "subject",
                "body",
                "status",
                "attempts",
                "last_error",
            )
        ),
        "counters": sorted(
            Acknowledgement.objects.values_list(
                "person__username", "notice__serial", "reminders_sent", "escalations"
            )
        ),
        "events": list(
            AuditEvent.objects.filter(
                seq__gt=after_seq, action__in=["notice.reminded", "notice.escalated"]
            )
            .values_list("action", "notice__serial", "data")
            .order_by("seq")
        ),
    }


def notices_with_every_kind_of_write(bureau: Bureau) -> None:
    """Overdue reminders, escalations to the head and the clerk, a unit robot, a person who
    turned email off and one not to be named in group messages."""
    ReminderPolicy.objects.create(
        organisation=bureau.org, escalate_to_head_after=1, escalate_to_clerk_after=2
    )
    WebhookChannel.objects.create(
        organisation=bureau.org,
        unit=bureau.units["GYG"],
        name="工业股群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=gyg",
    )
    NotificationPreference.objects.create(person=bureau.person("gyg_2"), email=False)
    NotificationPreference.objects.create(person=bureau.person("gyg_3"), group_robot=False)
    with time_machine.travel(at(2022, 10, 10, 9), tick=False):
        circulate(bureau.clerk, 80, units=["GYG"], days=1)
        circulate(bureau.clerk, 81, units=["GYG", "ZXFW"], people=["bgs_1"], days=1)
        circulate(bureau.clerk, 82, people=["gyg_1", "bgs_2"], days=2, urgency="urgent")


def sweep_two_days() -> dict[str, Any]:
    after_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    with time_machine.travel(at(2022, 10, 12, 9), tick=False) as traveller:
        for day in (12, 13):
            traveller.move_to(at(2022, 10, day, 9))
            run_reminder_sweep(as_of=at(2022, 10, day, 9))
    assert verify_chain().ok
    return written(after_seq)


def forget_the_sweeps() -> None:
    """Back to before the first sweep (its audit events stay: the chain is append-only)."""
    for model in (Message, Notification, Reminder, Digest):
        model.objects.all().delete()
    Acknowledgement.objects.update(reminders_sent=0, escalations=0)


def test_the_portable_statements_write_what_the_postgresql_ones_write(
    bureau: Bureau, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("compares the PostgreSQL statements with the portable ones")
    notices_with_every_kind_of_write(bureau)
    fast = sweep_two_days()
    assert fast["digests"]
    assert fast["events"]
    assert {channel for _, channel, *_ in fast["messages"]} == {"email", "wecom"}
    assert any(escalations for *_, escalations in fast["counters"])

    forget_the_sweeps()
    monkeypatch.setattr(sql, "postgres", lambda: False)  # as on SQLite
    portable = sweep_two_days()

    assert portable == fast


@pytest.mark.parametrize(
    "values",
    [
        ['a "quoted" b', "back\\slash", "{brace},comma", "", "NULL", "line\nnew\ttab"],
        ["中文《标题》（gyg_1）", "it's", '\\"', " spaced "],
        [],
    ],
)
def test_text_arrays_round_trip(values: list[str]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("array literals are for PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::bigint[]",
            [sql.text_array(values), sql.ids_array([1, None, 2**40])],
        )
        texts, ids = cursor.fetchone()
    assert texts == values
    assert ids == [1, None, 2**40]
