"""承办 deadlines in the reminder sweep: the open assignments' reminders, decided like the acks'.

An assignment (承办) still 待接收 or 办理中, with its notice 传阅中, is claimed in batches by id
with ``SELECT … FOR UPDATE SKIP LOCKED`` (one transaction per batch) and decided by the same
:func:`workflows.reminders.decide.decide` as an acknowledgement: ``due_soon`` / ``due_today`` /
``overdue`` go to the unit's head and active members, ``escalation_clerk`` to the clerk who
proposed the 批办 (拟办人) once the assignment has ``escalate_to_clerk_after`` overdue windows.
There is no head escalation: the head is reminded from the start. Rows are
:class:`workflows.models.AssignmentReminder`, unique per (assignment, kind, window, recipient),
so a repeat sweep inserts nothing. A batch costs the same six statements for 1 or 1,000
assignments (claim, unit people ×2, existing overdue reminders, calendar, insert) plus the audit
append when something was inserted.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from circulation.records.audit import EventSpec, append_events
from circulation.records.models import Assignment, AuditAction, Membership, Notice, Unit
from workflows.calendar import Workdays
from workflows.machines import AssignmentState, HandlingState, NoticeState
from workflows.models import AssignmentReminder, ReminderKind
from workflows.reminders import sql
from workflows.reminders.decide import Candidate, Clock, decide, possible_overdue_keys
from workflows.reminders.policy import to_local

CLAIM_BATCH = 1000
OPEN_STATES = (AssignmentState.ASSIGNED, AssignmentState.ACCEPTED)


class ClaimedAssignment(NamedTuple):
    pk: int
    notice_id: int
    unit_id: int
    unit_name: str
    due_at: datetime
    urgency: str
    clerk_id: int | None
    clerk_active: bool | None
    clerk_username: str | None


CLAIM_FIELDS = (
    "pk",
    "case__notice_id",
    "unit_id",
    "unit__name",
    "due_at",
    "case__notice__urgency",
    "case__proposed_by_id",
    "case__proposed_by__is_active",
    "case__proposed_by__username",
)


@dataclass(frozen=True)
class Row:
    assignment_id: int
    notice_id: int
    kind: str
    window_key: str
    recipient_id: int


@dataclass
class HandlingStats:
    claimed: int = 0
    batches: int = 0
    reminders: int = 0


def candidates(organisation_id: int, horizon: datetime, after: int) -> Any:
    """Open 承办 of circulating notices (批示 given) due before ``horizon``, by id."""
    return (
        Assignment.objects.filter(
            case__notice__organisation_id=organisation_id,
            case__notice__state=NoticeState.CIRCULATING,
            state__in=OPEN_STATES,
            due_at__lt=horizon,
            pk__gt=after,
        )
        .exclude(case__state=HandlingState.PROPOSED)
        .order_by("pk")
    )


def _unit_people(unit_ids: set[int]) -> dict[int, dict[int, str]]:
    """Per unit, its active head and members: {unit: {person: username}} (two statements)."""
    people: dict[int, dict[int, str]] = defaultdict(dict)
    members = Membership.objects.filter(
        sql.ids_in("unit_id", unit_ids), person__is_active=True
    ).values_list("unit_id", "person_id", "person__username")
    for unit_id, person_id, username in members:
        people[unit_id][person_id] = username
    heads = Unit.objects.filter(sql.ids_in("pk", unit_ids), head__is_active=True).values_list(
        "pk", "head_id", "head__username"
    )
    for unit_id, person_id, username in heads:
        people[unit_id][person_id] = username
    return people


def decide_batch(
    claimed: Sequence[ClaimedAssignment], people: dict[int, dict[int, str]], clock: Clock
) -> list[Row]:
    keys = sorted(possible_overdue_keys(clock))
    flags = {f"key{i}": Count("id", filter=Q(window_key=key)) for i, key in enumerate(keys)}
    found_rows = (
        AssignmentReminder.objects.filter(
            sql.ids_in("assignment_id", [a.pk for a in claimed]), kind=ReminderKind.OVERDUE
        )
        .values("assignment_id")
        .annotate(n=Count("window_key", distinct=True), **flags)
        .values_list("assignment_id", "n", *flags)
        .order_by()
    )
    counts: dict[int, int] = {}
    today: dict[int, frozenset[str]] = {}
    for assignment_id, n, *found in found_rows:
        counts[assignment_id] = n
        today[assignment_id] = frozenset(k for k, f in zip(keys, found, strict=True) if f)
    dates = {to_local(a.due_at).date() for a in claimed}
    workdays = Workdays(min([clock.today, *dates]), max([clock.today, *dates]) + timedelta(days=31))
    rows: list[Row] = []
    for a in claimed:
        clerk = a.clerk_id if a.clerk_active else None
        candidate = Candidate(
            ack_id=a.pk,
            notice_id=a.notice_id,
            person_id=0,  # the unit: fanned out to its people below
            urgency=a.urgency,
            due_at=a.due_at,
            head_id=None,
            clerk_id=clerk,
        )
        made = decide(
            candidate,
            clock,
            workdays,
            overdue_count=counts.get(a.pk, 0),
            overdue_keys_today=today.get(a.pk, frozenset()),
        )
        for d in made:
            if d.kind == ReminderKind.ESCALATION_CLERK:
                rows.append(Row(a.pk, a.notice_id, d.kind, d.window_key, d.recipient_id))
            elif d.kind != ReminderKind.ESCALATION_HEAD:
                rows += [
                    Row(a.pk, a.notice_id, d.kind, d.window_key, person_id)
                    for person_id in sorted(people.get(a.unit_id, {}))
                ]
    return rows


def insert_rows(rows: Sequence[Row], now: datetime) -> list[Row]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: exactly the rows that did not exist."""
    if not rows:
        return []
    qn = sql.qn
    columns = ("assignment_id", "notice_id", "kind", "window_key", "recipient_id")
    statement = (
        f"INSERT INTO {qn(AssignmentReminder._meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(qn(c) for c in columns)}, {qn('created_at')}) "
        f"SELECT a, n, k, w, r, %s::timestamptz FROM "
        f"{sql.unnest(('id', 'id', 'text', 'text', 'id'))} AS v(a, n, k, w, r) "
        f"ON CONFLICT DO NOTHING RETURNING {', '.join(qn(c) for c in columns)}"
    )
    params: list[Any] = [
        connection.ops.adapt_datetimefield_value(now),
        sql.ids_array(r.assignment_id for r in rows),
        sql.ids_array(r.notice_id for r in rows),
        sql.text_array(r.kind for r in rows),
        sql.text_array(r.window_key for r in rows),
        sql.ids_array(r.recipient_id for r in rows),
    ]
    return [Row(*row) for row in sql.execute(statement, params)]


def audit_batch(
    claimed: Sequence[ClaimedAssignment],
    people: dict[int, dict[int, str]],
    created: Sequence[Row],
) -> None:
    """``notice.reminded`` {"handling": {kind: [usernames]}} and ``notice.escalated``
    {"handling": {kind: {clerk: [units]}}} per notice of the batch (actor: the system)."""
    if not created:
        return
    by_id = {a.pk: a for a in claimed}
    reminded: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    escalated: dict[int, dict[str, dict[str, set[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    for row in created:
        a = by_id[row.assignment_id]
        if row.kind == ReminderKind.ESCALATION_CLERK:
            escalated[a.notice_id][row.kind][a.clerk_username or ""].add(a.unit_name)
        else:
            reminded[a.notice_id][row.kind].add(people[a.unit_id][row.recipient_id])
    specs = [
        EventSpec(
            AuditAction.NOTICE_REMINDED,
            Notice(pk=nid),
            notice_id=nid,
            data={"handling": {k: sorted(v) for k, v in sorted(reminded[nid].items())}},
        )
        for nid in sorted(reminded)
    ]
    specs += [
        EventSpec(
            AuditAction.NOTICE_ESCALATED,
            Notice(pk=nid),
            notice_id=nid,
            data={
                "handling": {
                    k: {to: sorted(units) for to, units in sorted(t.items())}
                    for k, t in sorted(escalated[nid].items())
                }
            },
        )
        for nid in sorted(escalated)
    ]
    append_events(None, specs)


def claim_and_decide(
    organisation_id: int, horizon: datetime, clock: Clock, stats: HandlingStats
) -> None:
    """Claim the organisation's open 承办 in batches and insert the reminders due now."""
    after = 0
    while True:
        with transaction.atomic(durable=True):
            claimed = [
                ClaimedAssignment(*row)
                for row in candidates(organisation_id, horizon, after)
                .select_for_update(skip_locked=True, of=("self",))
                .values_list(*CLAIM_FIELDS)[:CLAIM_BATCH]
            ]
            if claimed:
                after = claimed[-1].pk
                people = _unit_people({a.unit_id for a in claimed})
                created = insert_rows(decide_batch(claimed, people, clock), timezone.now())
                audit_batch(claimed, people, created)
                stats.batches += 1
                stats.claimed += len(claimed)
                stats.reminders += len(created)
        if len(claimed) < CLAIM_BATCH:
            return


def preview(
    organisation_id: int, horizon: datetime, clock: Clock, stats: HandlingStats
) -> set[int]:
    """What :func:`claim_and_decide` would insert now, without locking or writing: counted in
    ``stats``; the people it would remind."""
    after = 0
    people_told: set[int] = set()
    while True:
        claimed = [
            ClaimedAssignment(*row)
            for row in candidates(organisation_id, horizon, after).values_list(*CLAIM_FIELDS)[
                :CLAIM_BATCH
            ]
        ]
        if not claimed:
            return people_told
        after = claimed[-1].pk
        decided = decide_batch(claimed, _unit_people({a.unit_id for a in claimed}), clock)
        existing = set(
            AssignmentReminder.objects.filter(
                sql.ids_in("assignment_id", [a.pk for a in claimed]),
                window_key__in={r.window_key for r in decided},
            ).values_list("assignment_id", "kind", "window_key", "recipient_id")
        )
        new = [
            r
            for r in decided
            if (r.assignment_id, r.kind, r.window_key, r.recipient_id) not in existing
        ]
        stats.batches += 1
        stats.claimed += len(claimed)
        stats.reminders += len(new)
        people_told |= {r.recipient_id for r in new}
        if len(claimed) < CLAIM_BATCH:
            return people_told
