"""机构负责人催办: a unit head reminds their own unit's open recipients of a notice.

The clerk's 人工催办 (:mod:`workflows.services.reminding`) cut to one unit: only the head of the
unit may send it, only that unit's pending/read acknowledgements are reminded, and it is
rate-limited per notice and unit by the same interval (``manual_remind_interval_minutes``) — a
clerk's 催办 of the whole notice counts too, since it reminded the unit's people as well. Recorded
the same way
(``ManualRemind`` with its unit, ``Reminder`` rows of kind ``manual``, the audit event
``notice.reminded`` with ``unit``) and delivered through the same digests and outbox.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.errors import Conflict
from circulation.records.models import Acknowledgement, Unit
from circulation.records.permissions import not_found
from workflows.machines import ACK_OPEN_STATES
from workflows.models import ManualRemind
from workflows.reminders.policy import policy_for
from workflows.services.reminding import (
    ManualRemindResult,
    _rate_limited,
    locked_notice,
    require_circulating,
    send_manual_reminders,
)


def headed_unit(actor: Actor, unit_id: int) -> Unit:
    """The active unit ``unit_id`` if the actor heads it; 404 otherwise (as for another's)."""
    organisation_id = actor.user.organisation_id
    unit = (
        Unit.objects.filter(pk=unit_id, head=actor.user, is_active=True)
        .filter(organisation_id=organisation_id)
        .first()
        if organisation_id is not None
        else None
    )
    if unit is None:
        raise not_found("unit")
    return unit


def next_allowed_at(notice_id: int, unit_id: int, interval: timedelta) -> datetime | None:
    """When the head of ``unit_id`` may remind about the notice again (None: now)."""
    last = (
        ManualRemind.objects.filter(notice_id=notice_id)
        .filter(Q(unit_id=unit_id) | Q(unit__isnull=True))
        .order_by("-requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )
    if last is None or last + interval <= timezone.now():
        return None
    return last + interval


def remind_unit(actor: Actor, notice_id: int, unit_id: int) -> ManualRemindResult:
    """Remind the open recipients of ``unit_id`` about a circulating notice; 429 when repeated
    too soon. The notice row is locked first, as in every service, so two clicks at once send one
    reminder and the second gets the rate limit."""
    unit = headed_unit(actor, unit_id)
    with transaction.atomic(durable=True):
        notice = locked_notice(actor, notice_id)
        if not Acknowledgement.objects.filter(notice=notice, unit=unit).exists():
            raise not_found()  # not sent to the unit: the head does not see it
        require_circulating(notice)
        now = timezone.now()
        interval = timedelta(minutes=policy_for(notice.organisation).manual_remind_interval_minutes)
        last = next_allowed_at(notice.pk, unit.pk, interval)
        if last is not None:
            raise _rate_limited(last, now)

        acks = list(
            Acknowledgement.objects.select_for_update(of=("self",))
            .filter(notice=notice, unit=unit, state__in=ACK_OPEN_STATES)
            .select_related("person", "unit")
            .order_by("pk")
        )
        if not acks:
            raise Conflict(
                "本机构的接收人都已办理，无需催办",
                "Everyone of the unit has answered; there is nobody to remind",
                code="nobody_to_remind",
            )
        manual, stats = send_manual_reminders(actor, notice, acks, now, unit=unit)
    return ManualRemindResult(
        notice_id=notice.pk,
        manual_remind_id=manual.pk,
        reminded=len(acks),
        messages=stats.messages,
        next_allowed_at=now + interval,
    )
