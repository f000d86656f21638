"""What a digest lists, from plain rows: the reminders claimed for it and what they point at.

The digest phase reads columns, not model instances: a batch of 500 people holds thousands of
reminders but only a few notices and the people themselves, which are read once each
(:func:`load_lookups`). :func:`items` turns one person's reminders into the digest's items and what
each group robot is told.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db.models import Q
from django.utils.encoding import force_str

from circulation.records.models import Acknowledgement, Notice, Person
from workflows.models import NotificationPreference, ReminderKind, WebhookChannel
from workflows.reminders import sql, texts

ESCALATIONS = (ReminderKind.ESCALATION_HEAD, ReminderKind.ESCALATION_CLERK)
SEVERITY: list[str] = [
    ReminderKind.MANUAL,
    ReminderKind.DUE_SOON,
    ReminderKind.DUE_TODAY,
    ReminderKind.OVERDUE,
]


class Pending(NamedTuple):
    """One reminder to put in a digest, with what the digest says of its acknowledgement."""

    pk: int
    recipient_id: int
    notice_id: int
    kind: str
    person_id: int  # the acknowledgement's holder (the late person, for an escalation)
    unit_id: int | None
    state: str  # the acknowledgement's
    due_at: datetime | None  # the acknowledgement's
    organisation_id: int  # the notice's


PENDING_FIELDS = (
    "pk",
    "recipient_id",
    "notice_id",
    "kind",
    "acknowledgement__person_id",
    "acknowledgement__unit_id",
    "acknowledgement__state",
    "acknowledgement__due_at",
    "notice__organisation_id",
)


class HandlingPending(NamedTuple):
    """One 承办 reminder to put in a digest (``digests.HANDLING_FIELDS``)."""

    pk: int
    recipient_id: int
    notice_id: int
    kind: str
    assignment_id: int
    unit_name: str
    due_at: datetime  # the assignment's
    organisation_id: int  # the notice's


class NoticeInfo(NamedTuple):
    doc_number: str
    title: str


class PersonInfo(NamedTuple):
    email: str
    name: str  # "张三（gyg_1）"


@dataclass
class Lookups:
    """The notices and people a batch's reminders point at, and the translated state labels."""

    notices: dict[int, NoticeInfo]
    people: dict[int, PersonInfo]
    state_labels: dict[str, str] = field(default_factory=dict)
    refs: dict[tuple[int, datetime | None], texts.NoticeRef] = field(default_factory=dict)

    def ref(self, row: Pending) -> texts.NoticeRef:
        """One shared ``NoticeRef`` per notice and deadline (its texts are formatted once)."""
        key = (row.notice_id, row.due_at)
        ref = self.refs.get(key)
        if ref is None:
            notice = self.notices[row.notice_id]
            ref = self.refs[key] = texts.NoticeRef(
                row.notice_id, notice.doc_number, notice.title, row.due_at
            )
        return ref

    def state_label(self, state: str) -> str:
        """``get_state_display()`` of an acknowledgement, computed once per state."""
        label = self.state_labels.get(state)
        if label is None:
            choices = dict(Acknowledgement._meta.get_field("state").flatchoices)
            label = self.state_labels[state] = force_str(choices.get(state, state))
        return label


def person_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """``f"{person.name}（{person.username}）"`` from the columns ``Person.name`` reads."""
    name = display_name or f"{first_name} {last_name}".strip() or username
    return f"{name}（{username}）"


def handling_item(row: HandlingPending, lookups: Lookups) -> texts.HandlingItem:
    key = (row.notice_id, row.due_at)
    ref = lookups.refs.get(key)
    if ref is None:
        notice = lookups.notices[row.notice_id]
        ref = lookups.refs[key] = texts.NoticeRef(
            row.notice_id, notice.doc_number, notice.title, row.due_at
        )
    return texts.HandlingItem(ref, row.assignment_id, row.unit_name, row.kind)


def load_lookups(rows: Sequence[Pending], handling: Sequence[HandlingPending] = ()) -> Lookups:
    """The batch's notices and people: two queries whatever the number of reminders."""
    notice_ids = {row.notice_id for row in rows} | {row.notice_id for row in handling}
    people_ids = {row.recipient_id for row in rows} | {row.recipient_id for row in handling}
    people_ids |= {row.person_id for row in rows if row.kind in ESCALATIONS}
    notices = Notice.objects.filter(sql.ids_in("pk", notice_ids)).values_list(
        "pk", "doc_number", "title"
    )
    people = Person.objects.filter(sql.ids_in("pk", people_ids)).values_list(
        "pk", "email", "display_name", "first_name", "last_name", "username"
    )
    return Lookups(
        notices={pk: NoticeInfo(doc_number, title) for pk, doc_number, title in notices},
        people={
            pk: PersonInfo(email, person_name(display, first, last, username))
            for pk, email, display, first, last, username in people
        },
    )


def preferences(
    rows: Iterable[Pending], extra: Collection[int] = ()
) -> dict[int, tuple[bool, bool]]:
    """person id → (email, named in group robots); people without a row get the defaults."""
    ids: set[int] = set(extra)
    for row in rows:
        ids.add(row.recipient_id)
        ids.add(row.person_id)
    found = NotificationPreference.objects.filter(sql.ids_in("person_id", ids)).values_list(
        "person_id", "email", "group_robot"
    )
    return {person_id: (email, robot) for person_id, email, robot in found}


@dataclass
class Robots:
    by_unit: dict[int, list[WebhookChannel]] = field(default_factory=dict)
    by_organisation: dict[int, list[WebhookChannel]] = field(default_factory=dict)


def robots(rows: Sequence[Pending], handling: Sequence[HandlingPending] = ()) -> Robots:
    units = {r.unit_id for r in rows if r.kind == ReminderKind.ESCALATION_HEAD and r.unit_id}
    organisations = {r.organisation_id for r in rows if r.kind == ReminderKind.ESCALATION_CLERK}
    organisations |= {
        h.organisation_id for h in handling if h.kind == ReminderKind.ESCALATION_CLERK
    }
    found = Robots()
    if not units and not organisations:
        return found
    channels = WebhookChannel.objects.filter(is_active=True).filter(
        Q(unit_id__in=units) | Q(unit__isnull=True, organisation_id__in=organisations)
    )
    for channel in channels.order_by("pk"):
        if channel.unit_id is None:
            found.by_organisation.setdefault(channel.organisation_id, []).append(channel)
        else:
            found.by_unit.setdefault(channel.unit_id, []).append(channel)
    return found


RobotItems = dict[WebhookChannel, dict[int, texts.LateItem]]


def _order(ref: texts.NoticeRef) -> tuple[float, int]:
    return (ref.due_at.timestamp() if ref.due_at else float("inf"), ref.notice_id)


def items(
    rows: Sequence[Pending],
    prefs: dict[int, tuple[bool, bool]],
    found: Robots,
    lookups: Lookups,
) -> tuple[list[texts.OwnItem], list[texts.LateItem], RobotItems]:
    """One person's reminders as digest items, and what each group robot is told."""
    own: dict[int, texts.OwnItem] = {}
    late: dict[int, texts.LateItem] = {}
    robot_items: RobotItems = {}
    addresses: set[tuple[str, str]] = set()
    for row in rows:
        if row.kind not in ESCALATIONS:
            current = own.get(row.notice_id)
            if current is None or SEVERITY.index(row.kind) > SEVERITY.index(current.kind):
                own[row.notice_id] = texts.OwnItem(
                    lookups.ref(row), row.kind, row.state, lookups.state_label(row.state)
                )
            continue
        name = lookups.people[row.person_id].name
        item = late.setdefault(row.notice_id, texts.LateItem(lookups.ref(row)))
        if name not in item.people:
            item.people.append(name)
        channels: Collection[WebhookChannel]
        if row.kind == ReminderKind.ESCALATION_HEAD:
            channels = found.by_unit.get(row.unit_id or 0, [])
        else:
            channels = found.by_organisation.get(row.organisation_id, [])
        for channel in channels:
            if channel not in robot_items and (channel.kind, channel.url) in addresses:
                continue  # one message per robot address per digest
            addresses.add((channel.kind, channel.url))
            robot_item = robot_items.setdefault(channel, {}).setdefault(
                row.notice_id, texts.LateItem(lookups.ref(row))
            )
            if not prefs.get(row.person_id, (True, True))[1]:
                robot_item.hidden.add(row.person_id)
            elif name not in robot_item.people:
                robot_item.people.append(name)
    return (
        sorted(own.values(), key=lambda item: _order(item.notice)),
        sorted(late.values(), key=lambda item: _order(item.notice)),
        robot_items,
    )
