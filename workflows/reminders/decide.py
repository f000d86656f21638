"""What the sweep decides for one open acknowledgement at one moment — pure, no queries.

- ``due_soon``: on the working days within ``due_soon_working_days`` before the due day; once per
  deadline (window key: the deadline's local date).
- ``due_today``: on the due day while the deadline has not passed; once.
- ``overdue``: after the deadline, once per working day (window key: today), or every
  ``overdue_every_working_days`` working days; 加急/特急 once per cadence slot (``today#n``).
- ``escalation_head`` / ``escalation_clerk``: once per deadline, as soon as the acknowledgement
  has ``escalate_to_head_after`` / ``escalate_to_clerk_after`` overdue reminders.

The caller guarantees that ``clock`` lies on a working day within office hours.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from workflows.calendar import Workdays, office_hours
from workflows.models import ReminderKind, ReminderPolicy
from workflows.reminders.policy import cadence_hours, day_key, slot_key, to_local


@dataclass(frozen=True)
class Candidate:
    """What the decision needs of one claimed acknowledgement."""

    ack_id: int
    notice_id: int
    person_id: int
    urgency: str
    due_at: datetime
    head_id: int | None  # the unit head to escalate to (never the late person themselves)
    clerk_id: int | None  # the clerk who forwarded the round (idem)


@dataclass(frozen=True)
class Decision:
    ack_id: int
    notice_id: int
    kind: str
    window_key: str
    recipient_id: int


@dataclass(frozen=True)
class Clock:
    as_of: datetime
    policy: ReminderPolicy

    @property
    def local(self) -> datetime:
        return to_local(self.as_of)

    @property
    def today(self) -> date:
        return self.local.date()


def possible_overdue_keys(clock: Clock) -> set[str]:
    """Every overdue window key the sweep can use at this moment (for one existence query)."""
    keys = {day_key(clock.today)}
    for urgency in ("urgent", "extra_urgent"):
        hours = cadence_hours(clock.policy, urgency)
        if hours is not None:
            keys.add(slot_key(clock.policy, clock.local, hours))
    return keys


def overdue_key(candidate: Candidate, clock: Clock, workdays: Workdays) -> str | None:
    """This moment's overdue window for an overdue acknowledgement, or ``None`` (not today)."""
    hours = cadence_hours(clock.policy, candidate.urgency)
    if hours is not None:
        return slot_key(clock.policy, clock.local, hours)
    every = max(1, clock.policy.overdue_every_working_days)
    if every > 1:
        due = to_local(candidate.due_at)
        first = due.date()
        if not workdays.is_working(first) or due.time() >= office_hours().closes:
            first = workdays.next_after(first)
        if first > clock.today or workdays.count_between(first, clock.today) % every:
            return None
    return day_key(clock.today)


def decide(
    candidate: Candidate,
    clock: Clock,
    workdays: Workdays,
    *,
    overdue_count: int,
    overdue_keys_today: Collection[str] = (),
) -> list[Decision]:
    """The reminders due now; the unique key makes proposing an existing one harmless.

    ``overdue_count`` is the number of overdue reminders the acknowledgement already has, and
    ``overdue_keys_today`` their window keys of today (to tell whether this window's is new).
    """
    policy = clock.policy
    deadline_key = day_key(to_local(candidate.due_at).date())

    def make(kind: str, key: str, recipient_id: int) -> Decision:
        return Decision(candidate.ack_id, candidate.notice_id, kind, key, recipient_id)

    due_day = to_local(candidate.due_at).date()
    if clock.as_of <= candidate.due_at:
        if due_day == clock.today:
            return [make(ReminderKind.DUE_TODAY, deadline_key, candidate.person_id)]
        ahead = workdays.count_between(clock.today, due_day)
        if due_day > clock.today and 0 < ahead <= policy.due_soon_working_days:
            return [make(ReminderKind.DUE_SOON, deadline_key, candidate.person_id)]
        return []

    decisions = []
    key = overdue_key(candidate, clock, workdays)
    if key is not None:
        decisions.append(make(ReminderKind.OVERDUE, key, candidate.person_id))
        if key not in overdue_keys_today:
            overdue_count += 1
    if candidate.head_id is not None and overdue_count >= policy.escalate_to_head_after:
        decisions.append(make(ReminderKind.ESCALATION_HEAD, deadline_key, candidate.head_id))
    if candidate.clerk_id is not None and overdue_count >= policy.escalate_to_clerk_after:
        decisions.append(make(ReminderKind.ESCALATION_CLERK, deadline_key, candidate.clerk_id))
    return decisions
