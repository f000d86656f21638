"""A sweep batch costs the same number of queries for 10 or 200 acknowledgements."""

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.records.actors import Actor
from circulation.records.models import Membership, Person, Unit
from tests.builders import Bureau
from tests.reminders.builders import at, circulate
from workflows.models import ReminderPolicy
from workflows.services import sweep
from workflows.services.sweep import SweepResult, run_reminder_sweep
from workflows.services.withdrawal import withdraw_notice

pytestmark = pytest.mark.django_db


def unit_of(bureau: Bureau, code: str, size: int) -> str:
    """A unit with a head and ``size - 1`` more members, everyone with an email address."""
    password = make_password(None)
    unit = Unit.objects.create(organisation=bureau.org, code=code, name=code, kind="section")
    people = Person.objects.bulk_create(
        Person(
            username=f"{code.lower()}_{n}",
            display_name=f"{code}{n}",
            email=f"{code.lower()}_{n}@example.cn",
            organisation=bureau.org,
            password=password,
        )
        for n in range(size)
    )
    Membership.objects.bulk_create(Membership(person=p, unit=unit) for p in people)
    unit.head = people[0]
    unit.save(update_fields=["head"])
    return code


def sweep_counting(serial: int, code: str, bureau: Bureau, day: int) -> tuple[int, SweepResult]:
    """Circulate to ``code`` on Monday 10-10, sweep when overdue on ``day``; (queries, result).

    The notice is withdrawn afterwards, so that the next sweep has only the next one to do.
    """
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, serial, units=[code], days=1)
        traveller.move_to(at(2022, 10, day, 9))
        with CaptureQueriesContext(connection) as queries:
            result = run_reminder_sweep(as_of=at(2022, 10, day, 9))
        withdraw_notice(Actor(bureau.clerk), notice.pk, "测试结束")
    return len(queries), result


def test_sweep_queries_do_not_grow_with_the_batch(bureau: Bureau) -> None:
    # Overdue, escalated to the head and the clerk at once: every kind of write happens.
    ReminderPolicy.objects.create(
        organisation=bureau.org, escalate_to_head_after=1, escalate_to_clerk_after=1
    )
    small_queries, small = sweep_counting(110, unit_of(bureau, "SMALL", 10), bureau, 12)
    large_queries, large = sweep_counting(111, unit_of(bureau, "LARGE", 200), bureau, 13)

    assert (small.claimed, small.batches) == (10, 1)
    assert (large.claimed, large.batches) == (200, 1)
    assert large.reminders == 200 + 199 + 200  # overdue, to the head (not about themselves), clerk
    assert large.digests == 200 + 1  # everyone (the head with their escalations) and the clerk
    assert small_queries == large_queries


def test_more_batches_cost_a_constant_number_each(
    bureau: Bureau, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "CLAIM_BATCH", 50)
    one_queries, one = sweep_counting(112, unit_of(bureau, "ONE", 50), bureau, 12)
    four_queries, four = sweep_counting(113, unit_of(bureau, "FOUR", 200), bureau, 13)
    # 50 and 200 rows: 1 and 4 full batches, each followed by an empty look.
    assert (one.batches, four.batches) == (1, 4)
    per_batch = (four_queries - one_queries) / 3
    assert per_batch == int(per_batch)
    assert per_batch <= 12
