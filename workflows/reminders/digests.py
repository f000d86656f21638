"""One digest per person per window: all their undigested reminders in one message.

A digest gets an in-app :class:`Notification`, an email :class:`Message` (when the person has an
address and has not turned email off) and, for escalations, a message to the group robots
(群机器人) of the late people's units (to a unit head) or of the organisation (to the clerk). The
messages are the outbox: :func:`workflows.delivery.outbox.schedule_delivery` sends them after
commit. Every batch costs the same few queries whatever the number of people in it: the reminders
are read as columns (:mod:`workflows.reminders.digest_items`), their notices and people once each,
and the rows are written by :mod:`workflows.reminders.digest_store`. A person's 承办 reminders
(:class:`workflows.models.AssignmentReminder`) go into the same digest, in a section of their own.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from workflows.delivery import outbox
from workflows.machines import ACK_OPEN_STATES, AssignmentState, NoticeState
from workflows.models import AssignmentReminder, Digest, Reminder, ReminderKind, WebhookChannel
from workflows.reminders import delegates, digest_items, digest_store, sql, texts
from workflows.reminders.digest_items import (
    PENDING_FIELDS,
    Lookups,
    NoticeInfo,
    Pending,
    PersonInfo,
    person_name,
)
from workflows.reminders.digest_store import Composed
from workflows.reminders.parallel import Partition

PERSON_BATCH = 500


@dataclass
class DigestStats:
    digests: int = 0
    messages: int = 0
    reminders: int = 0
    deferred_people: int = 0

    def add(self, other: "DigestStats") -> None:
        self.digests += other.digests
        self.messages += other.messages
        self.reminders += other.reminders
        self.deferred_people += other.deferred_people


def waiting(organisation_id: int) -> QuerySet[Reminder]:
    """Undigested reminders still worth sending: the acknowledgement is open and circulating.

    A reminder whose recipient confirmed (or whose notice was withdrawn) before it was put in a
    message is never sent; it stays in the history as decided.
    """
    return Reminder.objects.filter(
        digest__isnull=True,
        notice__organisation_id=organisation_id,
        notice__state=NoticeState.CIRCULATING,
        acknowledgement__state__in=ACK_OPEN_STATES,
    )


def waiting_assignments(organisation_id: int) -> QuerySet[AssignmentReminder]:
    """Undigested 承办 reminders still worth sending: the assignment waits for its result."""
    return AssignmentReminder.objects.filter(
        digest__isnull=True,
        notice__organisation_id=organisation_id,
        notice__state=NoticeState.CIRCULATING,
        assignment__state__in=(AssignmentState.ASSIGNED, AssignmentState.ACCEPTED),
    )


HANDLING_FIELDS = (
    "pk",
    "recipient_id",
    "notice_id",
    "kind",
    "assignment_id",
    "assignment__unit__name",
    "assignment__due_at",
    "notice__organisation_id",
)


def digest_pending(
    organisation_id: int, window_key: str, now: datetime, share: Partition | None = None
) -> DigestStats:
    """Digest the organisation's waiting reminders, people in batches, one transaction each.

    A person who already has a digest in this window keeps the new reminders for the next one.
    Callers serialise digest phases (see ``workflows.reminders.locks``). With ``share``, only the
    people of that share (by id), stopping early when another share has failed.
    """
    stats = DigestStats()
    after = 0
    share = share or Partition()
    while not share.stopping():
        # The people with acknowledgement or 承办 reminders, in one statement (UNION).
        acks = (
            share.only(waiting(organisation_id), "recipient_id")
            .filter(recipient_id__gt=after)
            .order_by()
            .values_list("recipient_id", flat=True)
        )
        undertakings = (
            share.only(waiting_assignments(organisation_id), "recipient_id")
            .filter(recipient_id__gt=after)
            .order_by()
            .values_list("recipient_id", flat=True)
        )
        people = list(acks.union(undertakings).order_by("recipient_id")[:PERSON_BATCH])
        if not people:
            return stats
        after = people[-1]
        with transaction.atomic(durable=True):
            stats.add(_digest_people(people, organisation_id, window_key, now))
        if len(people) < PERSON_BATCH:
            return stats
    return stats


def _digest_people(
    people: list[int], organisation_id: int, window_key: str, now: datetime
) -> DigestStats:
    done = set(
        Digest.objects.filter(
            sql.ids_in("recipient_id", people), window_key=window_key
        ).values_list("recipient_id", flat=True)
    )
    wanted = [person_id for person_id in people if person_id not in done]
    rows = [
        Pending(*row)
        for row in waiting(organisation_id)
        .select_for_update(skip_locked=True, of=("self",))
        .filter(sql.ids_in("recipient_id", wanted))
        # By acknowledgement, not by reminder id: a digest lists the late people in the same
        # order however the sweep's workers interleaved their inserts.
        .order_by("recipient_id", "acknowledgement_id", "id")
        .values_list(*PENDING_FIELDS)
    ]
    handling = [
        digest_items.HandlingPending(*row)
        for row in waiting_assignments(organisation_id)
        .select_for_update(skip_locked=True, of=("self",))
        .filter(sql.ids_in("recipient_id", wanted))
        .order_by("recipient_id", "assignment__due_at", "assignment_id", "id")
        .values_list(*HANDLING_FIELDS)
    ]
    stats = (
        write_digests(
            rows, digest_items.load_lookups(rows, handling), window_key, now, handling=handling
        )
        if rows or handling
        else DigestStats()
    )
    stats.deferred_people = len(done)
    return stats


def write_reminder_digests(
    reminders: Sequence[Reminder], window_key: str, now: datetime
) -> DigestStats:
    """:func:`write_digests` for ``Reminder`` instances (manual 催办 creates them), which need
    their ``notice``, ``recipient`` and ``acknowledgement`` (with person and unit) loaded.
    """
    if not reminders:
        return DigestStats()
    rows: list[Pending] = []
    lookups = Lookups(notices={}, people={})
    for reminder in reminders:
        ack, notice = reminder.acknowledgement, reminder.notice
        rows.append(
            Pending(
                reminder.pk,
                reminder.recipient_id,
                reminder.notice_id,
                reminder.kind,
                ack.person_id,
                ack.unit_id,
                ack.state,
                ack.due_at,
                notice.organisation_id,
            )
        )
        lookups.notices[notice.pk] = NoticeInfo(notice.doc_number, notice.title)
        for person in (reminder.recipient, ack.person):
            lookups.people[person.pk] = PersonInfo(
                person.email,
                person_name(
                    person.display_name, person.first_name, person.last_name, person.username
                ),
            )
    return write_digests(rows, lookups, window_key, now)


def _handling_robots(
    undertakings: Sequence[texts.HandlingItem],
    found: digest_items.Robots,
    organisation_of: dict[int, int],
) -> list[tuple[WebhookChannel, str, str]]:
    """The organisation's group robots told of the late 承办 units of a clerk's digest: one
    message per robot address, beside the acknowledgements' (``told``) if any."""
    late = [i for i in undertakings if i.kind == ReminderKind.ESCALATION_CLERK]
    if not late:
        return []
    addresses: set[tuple[str, str]] = set()
    messages = []
    for organisation_id in sorted({organisation_of[i.assignment_id] for i in late}):
        items = [i for i in late if organisation_of[i.assignment_id] == organisation_id]
        for channel in found.by_organisation.get(organisation_id, []):
            if (channel.kind, channel.url) in addresses:
                continue
            addresses.add((channel.kind, channel.url))
            messages.append((channel, *texts.handling_robot_text(items)))
    return messages


def write_digests(
    rows: Sequence[Pending],
    lookups: Lookups,
    window_key: str,
    now: datetime,
    handling: Sequence[digest_items.HandlingPending] = (),
) -> DigestStats:
    """Write one digest per recipient of ``rows`` with its notification and messages.

    Must run inside the transaction that claimed (or created) the reminders; ``lookups`` holds
    their notices and people (:func:`workflows.reminders.digest_items.load_lookups`).
    """
    by_person: dict[int, list[Pending]] = defaultdict(list)
    for row in rows:
        by_person[row.recipient_id].append(row)
    handling_of: dict[int, list[texts.HandlingItem]] = defaultdict(list)
    for h in handling:
        by_person.setdefault(h.recipient_id, [])
        handling_of[h.recipient_id].append(digest_items.handling_item(h, lookups))
    prefs = digest_items.preferences(rows, {h.recipient_id for h in handling})
    robots = digest_items.robots(rows, handling)
    organisation_of = {h.assignment_id: h.organisation_id for h in handling}

    composed: list[Composed] = []
    for person_id, theirs in by_person.items():
        own, late, robot_items = digest_items.items(theirs, prefs, robots, lookups)
        late_people = len({name for item in late for name in item.people})
        undertakings = handling_of.get(person_id, [])
        subject = texts.digest_subject(len(own), late_people, len(late)) if theirs else ""
        body = texts.digest_body(subject, own, late) if theirs else ""
        link = ""
        if undertakings:
            units = [i for i in undertakings if i.kind == ReminderKind.ESCALATION_CLERK]
            subject = texts.handling_subject(
                subject,
                len(undertakings) - len(units),
                len({(i.notice, i.unit_name) for i in units}),
            )
            lines = texts.handling_lines(undertakings)
            body = (
                "\n".join([subject, "", *lines]) if not theirs else f"{body}\n\n" + "\n".join(lines)
            )
            if not theirs and len({i.assignment_id for i in undertakings}) == 1:
                link = texts.assignment_path(undertakings[0].assignment_id)
        notice_ids = {item.notice.notice_id for item in own} | {i.notice.notice_id for i in late}
        notice_ids |= {item.notice.notice_id for item in undertakings}
        single = next(iter(notice_ids)) if len(notice_ids) == 1 else None
        email = lookups.people[person_id].email
        wants_email = bool(email) and prefs.get(person_id, (True, True))[0]
        composed.append(
            Composed(
                person_id=person_id,
                subject=subject,
                body=body,
                notice_id=single,
                link=link or (texts.notice_path(single) if single else "/notices/"),
                email=email if wants_email else "",
                robots=[
                    (robot, *texts.robot_text(list(items.values())))
                    for robot, items in robot_items.items()
                ]
                + _handling_robots(undertakings, robots, organisation_of),
            )
        )
    message_ids = digest_store.store(composed, rows, window_key, now, handling)
    delegates.copy_to_delegates(composed, lookups, now)  # 代理: the delegates get a copy
    if message_ids:
        outbox.schedule_delivery(message_ids)
    return DigestStats(
        digests=len(composed), messages=len(message_ids), reminders=len(rows) + len(handling)
    )
