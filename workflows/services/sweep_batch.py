"""One batch of the sweep: decide the reminders for claimed acknowledgements and write them.

A batch costs the same handful of queries for 10 or 1,000 acknowledgements: the claim (columns,
not model instances), one reminder look-up, one calendar look-up, one INSERT … ON CONFLICT DO
NOTHING RETURNING, one counter UPDATE and the three of the bulk audit append. The statements
carry their ids and values as arrays (:mod:`workflows.reminders.sql`).
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q

from circulation.records.audit import EventSpec, append_events
from circulation.records.models import Acknowledgement, AuditAction, Notice
from workflows.calendar import Workdays
from workflows.models import Reminder, ReminderKind
from workflows.reminders import sql
from workflows.reminders.claims import Claimed
from workflows.reminders.decide import Candidate, Clock, Decision, decide, possible_overdue_keys
from workflows.reminders.policy import to_local

OWN_KINDS = (ReminderKind.DUE_SOON, ReminderKind.DUE_TODAY, ReminderKind.OVERDUE)
ESCALATIONS = (ReminderKind.ESCALATION_HEAD, ReminderKind.ESCALATION_CLERK)


@dataclass(frozen=True)
class Created:
    ack_id: int
    kind: str
    recipient_id: int


def _candidate(ack: Claimed, due_at: datetime) -> Candidate:
    head_ok = ack.head_id is not None and ack.head_active and ack.head_id != ack.person_id
    clerk_ok = ack.clerk_id is not None and ack.clerk_active and ack.clerk_id != ack.person_id
    return Candidate(
        ack_id=ack.pk,
        notice_id=ack.notice_id,
        person_id=ack.person_id,
        urgency=ack.urgency,
        due_at=due_at,
        head_id=ack.head_id if head_ok else None,
        clerk_id=ack.clerk_id if clerk_ok else None,
    )


def decide_batch(acks: Sequence[Claimed], clock: Clock) -> list[Decision]:
    """Every reminder due now for these acknowledgements (existing ones included)."""
    # One look-up: per acknowledgement, its overdue reminders and which of today's keys exist.
    keys = sorted(possible_overdue_keys(clock))
    flags = {f"key{i}": Count("id", filter=Q(window_key=key)) for i, key in enumerate(keys)}
    rows = (
        Reminder.objects.filter(
            sql.ids_in("acknowledgement_id", [ack.pk for ack in acks]), kind=ReminderKind.OVERDUE
        )
        .values("acknowledgement_id")
        .annotate(n=Count("id"), **flags)
        .values_list("acknowledgement_id", "n", *flags)
        .order_by()
    )
    counts: dict[int, int] = {}
    today: dict[int, frozenset[str]] = {}
    for ack_id, n, *found in rows:
        counts[ack_id] = n
        today[ack_id] = frozenset(key for key, n in zip(keys, found, strict=True) if n)
    dates = {to_local(due_at).date() for due_at in {ack.due_at for ack in acks} if due_at}
    # The deadlines of the batch and today, plus a month for "the next working day after".
    workdays = Workdays(min([clock.today, *dates]), max([clock.today, *dates]) + timedelta(days=31))
    # decide() depends on an acknowledgement's deadline, urgency, whether it has a head and a
    # clerk to escalate to and its overdue reminders, not on who it is: a batch holds few such
    # shapes (the recipients of one notice share them), so each is decided once, then copied.
    shapes: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
    decisions: list[Decision] = []
    none: frozenset[str] = frozenset()
    for ack in acks:
        if ack.due_at is None:  # excluded by ``candidates``; kept out of the types too
            continue
        head = ack.head_id if ack.head_active and ack.head_id != ack.person_id else None
        clerk = ack.clerk_id if ack.clerk_active and ack.clerk_id != ack.person_id else None
        found = today.get(ack.pk, none)
        count = counts.get(ack.pk, 0)
        shape = (ack.due_at, ack.urgency, head is None, clerk is None, count, found)
        decided = shapes.get(shape)
        if decided is None:
            made = decide(
                _candidate(ack, ack.due_at),
                clock,
                workdays,
                overdue_count=count,
                overdue_keys_today=found,
            )
            decided = shapes[shape] = [(d.kind, d.window_key) for d in made]
        for kind, key in decided:
            if kind == ReminderKind.ESCALATION_HEAD:
                recipient = head
            elif kind == ReminderKind.ESCALATION_CLERK:
                recipient = clerk
            else:
                recipient = ack.person_id
            if recipient is not None:  # decide() escalates only to someone
                decisions.append(Decision(ack.pk, ack.notice_id, kind, key, recipient))
    return decisions


def insert_reminders(decisions: Sequence[Decision], now: datetime) -> list[Created]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: exactly the reminders that did not exist.

    One statement, each column one array (``SELECT … FROM unnest(…)``).
    """
    if not decisions:
        return []
    qn = sql.qn
    columns = ("acknowledgement_id", "notice_id", "kind", "window_key", "recipient_id")
    stamp = connection.ops.adapt_datetimefield_value(now)
    head = (
        f"INSERT INTO {qn(Reminder._meta.db_table)} "
        f"({', '.join(qn(c) for c in columns)}, {qn('created_at')}) "
    )
    tail = (
        f" ON CONFLICT DO NOTHING RETURNING {qn('acknowledgement_id')}, {qn('kind')}, "
        f"{qn('recipient_id')}"
    )
    body = f"SELECT a, n, k, w, r, %s::timestamptz FROM {sql.unnest(UNNEST)} AS v(a, n, k, w, r)"  # noqa: S608 - names from the model
    params: list[Any] = [
        stamp,
        sql.ids_array(d.ack_id for d in decisions),
        sql.ids_array(d.notice_id for d in decisions),
        sql.text_array(d.kind for d in decisions),
        sql.text_array(d.window_key for d in decisions),
        sql.ids_array(d.recipient_id for d in decisions),
    ]
    return [Created(*row) for row in sql.execute(head + body + tail, params)]


# The columns of a ``Decision`` as unnest() reads them.
UNNEST = ("id", "id", "text", "text", "id")


def bump_counters(created: Sequence[Created]) -> None:
    """Acknowledgement.reminders_sent / escalations += what was really inserted (one UPDATE)."""
    if not created:
        return
    own = {c.ack_id for c in created if c.kind in OWN_KINDS}
    escalations = Counter(c.ack_id for c in created if c.kind in ESCALATIONS)
    ids = sorted({c.ack_id for c in created})
    table, qn = sql.qn(Acknowledgement._meta.db_table), sql.qn
    sql.execute(
        f"UPDATE {table} SET {qn('reminders_sent')} = {table}.{qn('reminders_sent')} + v.own, "  # noqa: S608 - names from the model
        f"{qn('escalations')} = {table}.{qn('escalations')} + v.esc "
        f"FROM {sql.unnest(('id', 'int', 'int'))} AS v(id, own, esc) "
        f"WHERE {table}.{qn('id')} = v.id AND {table}.{qn('id')} = ANY(%s::bigint[])",
        [
            sql.ids_array(ids),
            sql.ids_array(int(i in own) for i in ids),
            sql.ids_array(min(escalations[i], 2) for i in ids),
            sql.ids_array(ids),
        ],
    )


def audit_batch(acks: Sequence[Claimed], created: Sequence[Created]) -> None:
    """``notice.reminded`` {kind: [usernames]} and ``notice.escalated`` {kind: {to: [late]}}
    per notice of the batch, appended to the chain in one go (actor: the system)."""
    if not created:
        return
    by_id = {ack.pk: ack for ack in acks}
    usernames: dict[int, str] = {}
    for ack in acks:
        usernames[ack.person_id] = ack.username
        if ack.clerk_id is not None and ack.clerk_username is not None:
            usernames[ack.clerk_id] = ack.clerk_username
        if ack.head_id is not None and ack.head_username is not None:
            usernames[ack.head_id] = ack.head_username
    reminded: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    escalated: dict[int, dict[str, dict[str, list[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for row in created:
        ack = by_id[row.ack_id]
        if row.kind in ESCALATIONS:
            to = usernames[row.recipient_id]
            escalated[ack.notice_id][row.kind][to].append(ack.username)
        else:
            reminded[ack.notice_id][row.kind].append(ack.username)
    specs = [
        EventSpec(
            AuditAction.NOTICE_REMINDED,
            Notice(pk=nid),  # the event names the notice by its label and id only
            notice_id=nid,
            data={kind: sorted(names) for kind, names in sorted(reminded[nid].items())},
        )
        for nid in sorted(reminded)
    ]
    specs += [
        EventSpec(
            AuditAction.NOTICE_ESCALATED,
            Notice(pk=nid),
            notice_id=nid,
            data={
                kind: {to: sorted(late) for to, late in sorted(targets.items())}
                for kind, targets in sorted(escalated[nid].items())
            },
        )
        for nid in sorted(escalated)
    ]
    append_events(None, specs)
