"""撤回: withdraw a circulating notice; its open acknowledgements are cancelled."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict
from circulation.records.models import Acknowledgement, AuditAction, Notice
from circulation.records.permissions import not_found, require_perm, require_same_organisation
from circulation.records.validation import clean_reason
from workflows.machines import ACK_OPEN_STATES, NoticeState
from workflows.services.completion import complete_locked, handling_pending


def withdraw_notice(actor: Actor, notice_id: int, reason: str) -> Notice:
    """撤回 a circulating notice with a reason; open acknowledgements become 已取消."""
    reason = clean_reason(reason, "撤回原因")
    require_perm(actor.user, roles.WITHDRAW_NOTICE)
    finished = False
    with transaction.atomic(durable=True):
        notice = Notice.objects.select_for_update(no_key=True).filter(pk=notice_id).first()
        if notice is None:
            raise not_found()
        require_same_organisation(actor.user, notice)
        if notice.state == NoticeState.WITHDRAWN:
            return notice
        if notice.state != NoticeState.CIRCULATING:
            raise Conflict(
                f"收文当前状态为“{notice.get_state_display()}”，只有传阅中的收文可以撤回",
                f"Only a circulating notice can be withdrawn (state: {notice.state})",
                code="invalid_state",
                extra={"state": notice.state},
            )
        now = timezone.now()
        open_acks = list(
            Acknowledgement.objects.select_for_update()
            .filter(notice=notice, state__in=ACK_OPEN_STATES)
            .order_by("pk")
        )
        # everyone has answered (and a 批办 notice's case is 已办毕): 办结, not withdrawn
        if not open_acks and not handling_pending(notice):
            complete_locked(None, notice)  # automatic, as always
            finished = True
        else:
            _withdraw_locked(actor, notice, open_acks, reason, now)
    if finished:
        raise Conflict(
            "所有接收人均已办理，收文已办结，不能撤回",
            "Every recipient has answered: the notice is completed and cannot be withdrawn",
            code="invalid_state",
            extra={"state": NoticeState.COMPLETED},
        )
    return notice


def _withdraw_locked(
    actor: Actor, notice: Notice, open_acks: list[Acknowledgement], reason: str, now: datetime
) -> None:
    """Cancel the open acknowledgements and mark the locked notice 已撤回."""
    for ack in open_acks:
        ack.cancel()  # the machine checks each source state; written in one statement below
        ack.cancelled_at = now
    Acknowledgement.objects.bulk_update(open_acks, ["state", "cancelled_at"], batch_size=2000)
    notice.withdraw()
    notice.closing_reason = reason
    notice.save()
    append_event(
        actor,
        AuditAction.NOTICE_WITHDRAWN,
        notice,
        notice_id=notice.pk,
        from_state=NoticeState.CIRCULATING,
        to_state=NoticeState.WITHDRAWN,
        data={"reason": reason, "cancelled": len(open_acks)},
    )
