"""人工催办: the clerk reminds every open recipient of a notice now, rate-limited per notice.

Recorded like any reminder (``Reminder`` rows of kind ``manual``, an audit event
``notice.reminded``) and digested at once, in office hours or not — the clerk asked.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, RateLimited
from circulation.records.models import Acknowledgement, AuditAction, Notice, Unit
from circulation.records.permissions import not_found, require_perm, require_same_organisation
from workflows.machines import ACK_OPEN_STATES, NoticeState
from workflows.models import ManualRemind, Reminder, ReminderKind
from workflows.reminders.digests import DigestStats, write_reminder_digests
from workflows.reminders.policy import manual_window, policy_for


@dataclass(frozen=True)
class ManualRemindResult:
    notice_id: int
    manual_remind_id: int
    reminded: int  # people reminded
    messages: int
    next_allowed_at: datetime


def _rate_limited(next_allowed_at: datetime, now: datetime) -> RateLimited:
    wait = max(1, math.ceil((next_allowed_at - now).total_seconds()))
    minutes = max(1, math.ceil(wait / 60))
    return RateLimited(
        f"刚刚催办过，请 {minutes} 分钟后再试",
        f"A reminder was sent recently; try again in {wait} seconds",
        code="remind_too_soon",
        extra={
            "retry_after": wait,
            # In the local zone (+08:00), like every time the API answers with.
            "next_allowed_at": timezone.localtime(next_allowed_at).isoformat(),
        },
    )


def locked_notice(actor: Actor, notice_id: int) -> Notice:
    """The notice to remind about, row-locked first (as in every service), of the caller's
    organisation (404 otherwise), with its organisation's reminder policy."""
    notice = (
        Notice.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organisation__reminder_policy")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        raise not_found()
    require_same_organisation(actor.user, notice)
    return notice


def require_circulating(notice: Notice) -> None:
    """409 unless the notice is 传阅中: only then is anyone reminded."""
    if notice.state != NoticeState.CIRCULATING:
        raise Conflict(
            f"收文当前状态为“{notice.get_state_display()}”，只有传阅中的收文可以催办",
            f"Only a circulating notice can be reminded about (state: {notice.state})",
            code="invalid_state",
            extra={"state": notice.state},
        )


def remind_notice(actor: Actor, notice_id: int) -> ManualRemindResult:
    """Remind every pending/read recipient of a circulating notice; 429 when repeated too soon.

    Locks the notice row first (the same order as every service), so two clerks clicking at
    once send one reminder and the second gets the rate limit.
    """
    require_perm(actor.user, roles.REMIND_NOTICE)
    with transaction.atomic(durable=True):
        notice = locked_notice(actor, notice_id)
        require_circulating(notice)
        now = timezone.now()
        interval = timedelta(minutes=policy_for(notice.organisation).manual_remind_interval_minutes)
        # The clerk's own 催办 only: a unit head reminding their unit does not hold the clerk up.
        last = (
            ManualRemind.objects.filter(notice=notice, unit__isnull=True)
            .order_by("-requested_at")
            .first()
        )
        if last is not None and now < last.requested_at + interval:
            raise _rate_limited(last.requested_at + interval, now)

        acks = list(
            Acknowledgement.objects.select_for_update(of=("self",))
            .filter(notice=notice, state__in=ACK_OPEN_STATES)
            .select_related("person", "unit")
            .order_by("pk")
        )
        manual, stats = send_manual_reminders(actor, notice, acks, now)
    return ManualRemindResult(
        notice_id=notice.pk,
        manual_remind_id=manual.pk,
        reminded=len(acks),
        messages=stats.messages,
        next_allowed_at=now + interval,
    )


def send_manual_reminders(
    actor: Actor,
    notice: Notice,
    acks: list[Acknowledgement],
    now: datetime,
    unit: Unit | None = None,
) -> tuple[ManualRemind, DigestStats]:
    """人工催办 of these open acknowledgements (the caller holds the locks and checked the rate):
    the request row, one reminder each in its own window, their digests, and the audit event —
    the chain head locked last, as in every service. ``unit`` for a unit head's reminder."""
    manual = ManualRemind.objects.create(
        notice=notice, unit=unit, requested_by=actor.user, requested_at=now, recipients=len(acks)
    )
    window = manual_window(manual.pk)
    reminders = [
        Reminder(
            acknowledgement=ack,
            notice=notice,
            kind=ReminderKind.MANUAL,
            window_key=window,
            recipient=ack.person,
            created_at=now,
        )
        for ack in acks
    ]
    Reminder.objects.bulk_create(reminders)
    Acknowledgement.objects.filter(pk__in=[ack.pk for ack in acks]).update(
        reminders_sent=F("reminders_sent") + 1
    )
    stats = write_reminder_digests(reminders, window, now)
    data: dict[str, object] = {"manual": True}
    if unit is not None:
        data["unit"] = unit.code
    data["recipients"] = len(acks)
    data["people"] = sorted(ack.person.username for ack in acks)
    append_event(actor, AuditAction.NOTICE_REMINDED, notice, notice_id=notice.pk, data=data)
    return manual, stats
