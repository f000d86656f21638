"""传阅通知 and 退回通知: telling people at once, through the digest machinery.

- :func:`announce_forward` — every person a forward adds is told the notice was sent to them: one
  digest per person per forward (an in-app notification of kind ``forwarded``, an email unless
  they turned email off) and, per unit forwarded to, one message to the unit's group robots
  naming its new recipients (those who turned naming off are counted, not named).
- :func:`announce_return` — the clerk who forwarded the round is told when a recipient returns
  it (退回), with the reason (kind ``returned``).

Both run inside the caller's transaction and write the rows with
:func:`workflows.reminders.digest_store.store` (one statement on PostgreSQL, whatever the number
of people); the outbox messages are handed to Celery after commit
(:func:`workflows.delivery.outbox.schedule_delivery`). A forward to 10,000 people costs the same
queries as one to 3 (``tests/test_forward_scale.py``).
"""

from collections.abc import Collection, Mapping
from datetime import datetime

from circulation.records.models import Acknowledgement, CirculationRound, Notice, Person
from workflows.delivery import outbox
from workflows.models import NotificationKind, WebhookChannel
from workflows.reminders import delegates, sql, texts
from workflows.reminders.digest_items import person_name
from workflows.reminders.digest_store import Composed, store
from workflows.reminders.policy import to_local


def _ref(notice: Notice, due_at: datetime | None) -> texts.NoticeRef:
    return texts.NoticeRef(notice.pk, notice.doc_number, notice.title, due_at)


def announce_forward(
    notice: Notice,
    circulation_round: CirculationRound,
    recipients: Mapping[int, int | None],
    forwarded_units: Collection[int],
    forwarded_by: Person,
    now: datetime,
) -> int:
    """Tell the people a forward added (person id → the unit reached through); the number of
    outbox messages written. The robots are those of ``forwarded_units`` (not of the units of
    people named one by one). The delegates in force of the people told get an in-app copy
    (their ids read with the people). Two to six queries whatever the number of people."""
    if not recipients:
        return 0
    ref = _ref(notice, circulation_round.due_at)
    subject = texts.forwarded_subject(ref)
    body = texts.forwarded_body(
        subject,
        ref,
        person_name(
            forwarded_by.display_name,
            forwarded_by.first_name,
            forwarded_by.last_name,
            forwarded_by.username,
        ),
        circulation_round.instruction,
    )
    rows = (
        Person.objects.filter(sql.ids_in("pk", list(recipients)))
        .annotate(delegate_ids=delegates.delegate_ids(now))
        .values_list(
            "pk",
            "email",
            "display_name",
            "first_name",
            "last_name",
            "username",
            "notification_preference__email",
            "notification_preference__group_robot",
            "delegate_ids",
        )
    )
    composed: dict[int, Composed] = {}
    named: dict[int, list[str]] = {}  # unit id → names for its robots
    hidden: dict[int, int] = {}
    first_of_unit: dict[int, int] = {}  # unit id → the person whose digest carries its robots
    names: dict[int, str] = {}
    acting: dict[int, list[int]] = {}  # 代理: principal id → their delegates in force
    for pk, email, display, first, last, username, wants_email, wants_named, deputies in sorted(
        rows
    ):
        names[pk] = person_name(display, first, last, username)
        if deputies:
            acting[pk] = deputies
        composed[pk] = Composed(
            person_id=pk,
            subject=subject,
            body=body,
            notice_id=notice.pk,
            link=texts.notice_path(notice.pk),
            email=email if email and wants_email is not False else "",
            kind=NotificationKind.FORWARDED,
        )
        unit_id = recipients[pk]
        if unit_id is not None:
            first_of_unit.setdefault(unit_id, pk)
            if wants_named is False:
                hidden[unit_id] = hidden.get(unit_id, 0) + 1
            else:
                named.setdefault(unit_id, []).append(names[pk])
    robot_units = set(forwarded_units) & set(first_of_unit)
    if robot_units:
        robots = WebhookChannel.objects.filter(
            is_active=True, unit_id__in=robot_units
        ).select_related("unit")
        for robot in robots.order_by("pk"):
            unit = robot.unit
            assert unit is not None  # filtered by unit  # noqa: S101
            composed[first_of_unit[unit.pk]].robots.append(
                (
                    robot,
                    *texts.forwarded_robot_text(
                        ref, unit.name, named.get(unit.pk, []), hidden.get(unit.pk, 0)
                    ),
                )
            )
    message_ids = store(list(composed.values()), [], f"forward:{circulation_round.pk}", now)
    # the delegates in force get an in-app copy (one insert, only when there are any)
    delegates.store_copies(
        list(composed.values()), names, acting, now, what=("传阅通知", "notice of circulation")
    )
    outbox.schedule_delivery(message_ids)
    return len(message_ids)


def announce_return(ack: Acknowledgement, returned_by: Person, now: datetime) -> int:
    """Tell the clerk who forwarded ``ack``'s round that its recipient returned it, with the
    reason; the number of outbox messages written (0 or 1)."""
    clerk = (
        Person.objects.filter(pk=ack.round.forwarded_by_id)
        .values_list("pk", "email", "is_active", "notification_preference__email")
        .first()
    )
    if clerk is None:
        return 0
    pk, email, active, wants_email = clerk
    notice = ack.notice
    ref = _ref(notice, ack.due_at)
    who = person_name(
        returned_by.display_name,
        returned_by.first_name,
        returned_by.last_name,
        returned_by.username,
    )
    subject = texts.returned_subject(ref, who)
    body = texts.returned_body(
        subject, ref, who, ack.return_reason, f"{to_local(ack.returned_at or now):%Y-%m-%d %H:%M}"
    )
    message_ids = store(
        [
            Composed(
                person_id=pk,
                subject=subject,
                body=body,
                notice_id=notice.pk,
                link=texts.notice_path(notice.pk),
                email=email if email and active and wants_email is not False else "",
                kind=NotificationKind.RETURNED,
            )
        ],
        [],
        f"return:{ack.pk}",
        now,
    )
    outbox.schedule_delivery(message_ids)
    return len(message_ids)
