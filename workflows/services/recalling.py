"""撤回 of a single recipient: the clerk cancels one open acknowledgement with a reason.

What existed: 撤回 of the whole notice (:mod:`workflows.services.withdrawal`) and 补发 / 补充传阅
after 办结 (forwarding a completed notice again reopens it, :mod:`workflows.services.forwarding`).
This adds the one missing piece. The acknowledgement becomes 已取消 (its ``cancelled_at`` set);
the reason is in the audit event ``ack.recalled`` (the notice's history). A repeat changes
nothing; a recipient who already answered is a 409. After the commit the notice completes if
that was the last open acknowledgement (and a 批办 case is 已办毕).

Lock order: notice, then the acknowledgement, then the audit chain head.
"""

from django.db import transaction
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict
from circulation.records.models import Acknowledgement
from circulation.records.permissions import not_found, require_perm
from circulation.records.validation import clean_reason
from workflows.machines import ACK_OPEN_STATES, AckState, NoticeState
from workflows.services import handling_common as common
from workflows.services.completion import complete_after_answer


def recall_recipient(actor: Actor, notice_id: int, username: str, reason: str) -> Acknowledgement:
    """撤回 one recipient's open acknowledgement of a circulating notice, with a reason."""
    reason = clean_reason(reason, "撤回原因")
    require_perm(actor.user, roles.WITHDRAW_NOTICE)
    with transaction.atomic(durable=True):
        notice = common.lock_notice(actor, notice_id)
        ack = (
            Acknowledgement.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(notice_id=notice.pk, person__username=username)
            .order_by()
            .first()
        )
        if ack is None:
            raise not_found("person")
        if ack.state == AckState.CANCELLED:
            return ack
        if ack.state not in ACK_OPEN_STATES or notice.state != NoticeState.CIRCULATING:
            raise Conflict(
                f"该接收人的阅知状态为“{ack.get_state_display()}”，不能撤回",
                f"This recipient's acknowledgement is {ack.state} and cannot be recalled",
                code="invalid_state",
                extra={"state": ack.state},
            )
        from_state = ack.state
        ack.cancel()
        ack.cancelled_at = timezone.now()
        ack.save(update_fields=["state", "cancelled_at"])
        append_event(
            actor,
            common.ACK_RECALLED,
            ack,
            notice_id=notice.pk,
            from_state=from_state,
            to_state=AckState.CANCELLED,
            data={"person": ack.person.username, "reason": reason},
        )
    complete_after_answer(actor, notice.pk)
    return ack
