"""The clock walks through the 2022 National Day holiday (10-01..10-07, 调休 on Sat 10-08 and
Sun 10-09): the right reminders on the right days, none on holidays, weekends or after hours."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from circulation.records.audit import verify_chain
from circulation.records.models import Acknowledgement
from tests.builders import Bureau
from tests.reminders.builders import SH, at, circulate, confirm
from workflows.models import Digest, Reminder, ReminderPolicy, SweepRun
from workflows.services.sweep import run_reminder_sweep

pytestmark = pytest.mark.django_db


def walk(traveller: Any, start: datetime, end: datetime, step: timedelta) -> None:
    """Run the sweep at every step from ``start`` (inclusive) to ``end`` (exclusive)."""
    moment = start
    while moment < end:
        traveller.move_to(moment)
        run_reminder_sweep(as_of=moment)
        moment += step


def decided() -> dict[date, set[tuple[int, str, str]]]:
    """Local date → {(notice serial, kind, recipient)} of every reminder decided."""
    days: dict[date, set[tuple[int, str, str]]] = defaultdict(set)
    for reminder in Reminder.objects.select_related("notice", "recipient"):
        local = timezone.localtime(reminder.created_at, SH)
        days[local.date()].add((reminder.notice.serial, reminder.kind, reminder.recipient.username))
    return dict(days)


def test_hourly_walk_across_national_day(bureau: Bureau) -> None:
    gyg = ["gyg_head", "gyg_1", "gyg_2", "gyg_3"]
    with time_machine.travel(at(2022, 9, 28, 0), tick=False) as traveller:
        walk(traveller, at(2022, 9, 28, 0), at(2022, 9, 29, 10), timedelta(hours=1))
        # 25号: five working days → Tue 10-11 17:30; 26号: two working days → Sat 10-08 17:30.
        first = circulate(bureau.clerk, 25, units=["GYG"], days=5)
        second = circulate(bureau.clerk, 26, people=["bgs_1"], days=2)
        assert first.due_at == at(2022, 10, 11, 17, 30)
        assert second.due_at == at(2022, 10, 8, 17, 30)
        walk(traveller, at(2022, 9, 29, 10), at(2022, 10, 12, 12), timedelta(hours=1))
        confirm(first.pk, "gyg_1")  # after the first overdue reminder: no more for gyg_1
        walk(traveller, at(2022, 10, 12, 12), at(2022, 10, 18, 0), timedelta(hours=1))

    late = ["gyg_head", "gyg_2", "gyg_3"]
    assert decided() == {
        date(2022, 9, 30): {(26, "due_soon", "bgs_1")},
        # 调休: Saturday 10-08 and Sunday 10-09 are working days.
        date(2022, 10, 8): {(26, "due_today", "bgs_1")},
        date(2022, 10, 9): {(26, "overdue", "bgs_1")},
        date(2022, 10, 10): {(25, "due_soon", name) for name in gyg}
        | {(26, "overdue", "bgs_1"), (26, "escalation_head", "bgs_head")},
        date(2022, 10, 11): {(25, "due_today", name) for name in gyg} | {(26, "overdue", "bgs_1")},
        date(2022, 10, 12): {(25, "overdue", name) for name in gyg}
        | {(26, "overdue", "bgs_1"), (26, "escalation_clerk", "clerk")},
        # gyg_head heads GYG: the escalation for the other two goes to them, not about them.
        date(2022, 10, 13): {(25, "overdue", name) for name in late}
        | {(25, "escalation_head", "gyg_head"), (26, "overdue", "bgs_1")},
        date(2022, 10, 14): {(25, "overdue", name) for name in late} | {(26, "overdue", "bgs_1")},
        # 10-15/16 is a plain weekend; Monday 10-17 brings the fourth overdue: the clerk hears.
        date(2022, 10, 17): {(25, "overdue", name) for name in late}
        | {(25, "escalation_clerk", "clerk"), (26, "overdue", "bgs_1")},
    }
    # Each day's reminders come with the first sweep in office hours (08:30–17:30), at 09:00.
    hours = {timezone.localtime(r.created_at, SH).hour for r in Reminder.objects.all()}
    assert hours == {9}

    head_escalations = Reminder.objects.filter(kind="escalation_head", notice=first)
    assert sorted(r.acknowledgement.person.username for r in head_escalations) == [
        "gyg_2",
        "gyg_3",
    ]
    counters = {
        a.person.username: (a.reminders_sent, a.escalations)
        for a in Acknowledgement.objects.filter(notice=first)
    }
    assert counters == {
        "gyg_1": (3, 0),  # due soon, due today, overdue once, then confirmed
        "gyg_2": (6, 2),
        "gyg_3": (6, 2),
        "gyg_head": (6, 1),  # nobody above the head in the unit: only the clerk
    }
    # One digest per person per day they had something, e.g. the head's own and escalation.
    head_days = Digest.objects.filter(recipient__username="gyg_head")
    assert head_days.count() == 6
    assert verify_chain().ok


def test_no_decisions_on_holidays_or_outside_office_hours(bureau: Bureau) -> None:
    with time_machine.travel(at(2022, 9, 20, 10), tick=False) as traveller:
        circulate(bureau.clerk, 27, units=["GYG"], days=1)  # due 09-21 17:30
        for moment in [at(2022, 9, 22, 8), at(2022, 9, 22, 17, 30), at(2022, 9, 22, 20)]:
            traveller.move_to(moment)
            result = run_reminder_sweep(as_of=moment)
            assert "office hours" in result.skipped_reason
        traveller.move_to(at(2022, 10, 3, 10))
        holiday = run_reminder_sweep(as_of=at(2022, 10, 3, 10))
        traveller.move_to(at(2022, 9, 24, 10))  # a plain Saturday
        weekend = run_reminder_sweep(as_of=at(2022, 9, 24, 10))
    assert holiday.skipped_reason == "非工作日 / not a working day (2022-10-03)"
    assert weekend.skipped_reason == "非工作日 / not a working day (2022-09-24)"
    assert not Reminder.objects.exists()
    runs = SweepRun.objects.filter(kind="reminders")
    assert runs.count() == 5
    assert all(run.skipped_reason and run.finished_at for run in runs)


@pytest.mark.parametrize(
    ("urgency", "slots"),
    [
        ("extra_urgent", ["08:30", "10:30", "12:30", "14:30", "16:30"]),  # every 2 working hours
        ("urgent", ["08:30", "12:30", "16:30"]),  # every 4 working hours
    ],
)
def test_urgent_notices_are_chased_every_few_working_hours(
    bureau: Bureau, urgency: str, slots: list[str]
) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 28, people=["gyg_1"], days=1, urgency=urgency)
        walk(traveller, at(2022, 10, 12, 7), at(2022, 10, 12, 19), timedelta(minutes=30))

    overdue = Reminder.objects.filter(notice=notice, kind="overdue").order_by("created_at")
    assert [f"{timezone.localtime(r.created_at, SH):%H:%M}" for r in overdue] == slots
    assert [r.window_key for r in overdue] == [f"2022-10-12#{n}" for n in range(1, len(slots) + 1)]
    # The second overdue reminder brings in the unit head (escalate_to_head_after = 2).
    escalation = Reminder.objects.get(notice=notice, kind="escalation_head")
    assert f"{timezone.localtime(escalation.created_at, SH):%H:%M}" == slots[1]
    assert escalation.recipient.username == "gyg_head"
    # Every slot is its own window, so each brings one digest.
    assert Digest.objects.filter(recipient__username="gyg_1").count() == len(slots)


def test_office_hours_are_one_setting_for_deadlines_and_the_sweep(
    bureau: Bureau, settings: Any
) -> None:
    """OFFICE_OPENS/OFFICE_CLOSES move the deadline's hour and the sweep's hours together; the
    organisation's saved policy keeps its thresholds (and has no office hours of its own)."""
    settings.OFFICE_OPENS, settings.OFFICE_CLOSES = "09:00", "18:00"
    ReminderPolicy.objects.create(
        organisation=bureau.org, escalate_to_head_after=1, escalate_to_clerk_after=1
    )
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 29, people=["gyg_1"], days=1)
        traveller.move_to(at(2022, 10, 12, 8, 45))
        early = run_reminder_sweep(as_of=at(2022, 10, 12, 8, 45))
        traveller.move_to(at(2022, 10, 12, 17, 45))
        late = run_reminder_sweep(as_of=at(2022, 10, 12, 17, 45))

    due = Acknowledgement.objects.get(notice=notice).due_at
    assert f"{timezone.localtime(due, SH):%Y-%m-%d %H:%M}" == "2022-10-11 18:00"
    assert "09:00–18:00" in early.skipped_reason
    assert late.by_kind == {"overdue": 1, "escalation_head": 1, "escalation_clerk": 1}
    kinds = set(Reminder.objects.filter(notice=notice).values_list("kind", "recipient__username"))
    assert kinds == {
        ("overdue", "gyg_1"),
        ("escalation_head", "gyg_head"),
        ("escalation_clerk", "clerk"),
    }


def test_overdue_every_other_working_day(bureau: Bureau) -> None:
    ReminderPolicy.objects.create(organisation=bureau.org, overdue_every_working_days=2)
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 32, people=["gyg_1"], days=1)  # due 10-11 17:30
        walk(traveller, at(2022, 10, 12, 9), at(2022, 10, 19, 9), timedelta(days=1))

    overdue = Reminder.objects.filter(notice=notice, kind="overdue").order_by("created_at")
    # Working days after the deadline: 10-12, 13, 14, 17, 18 (10-15/16 a weekend).
    assert [r.window_key for r in overdue] == ["2022-10-12", "2022-10-14", "2022-10-18"]
