"""答复: the clerk (or the office director) records the reply sent to the issuing organisation —
text, date, channel. Where the 拟办意见 said a reply is expected, the case is 已办毕 only when the
lead unit's 办理结果 and a 答复 are both in; a reply may be recorded before or after the result.

A repeat of the same 答复 (same text, date and channel: a double click) answers the first.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, InvalidInput
from circulation.records.models import Reply, ReplyChannel
from circulation.records.permissions import require_perm
from circulation.records.validation import clean_text
from workflows.machines import HandlingState, NoticeState
from workflows.services import handling_common as common
from workflows.services.completion import complete_after_answer
from workflows.services.undertaking import advance_case


@dataclass(frozen=True)
class ReplyInput:
    text: str
    replied_on: date
    channel: str  # ReplyChannel


def _clean(data: ReplyInput) -> str:
    text = clean_text(data.text, common.REPLY)
    if not text:
        raise InvalidInput(
            "请填写答复内容", "The reply text is required", code="required", field="text"
        )
    if data.channel not in ReplyChannel.values:
        raise InvalidInput(
            f"答复方式须为 {'、'.join(ReplyChannel.values)} 之一",
            f"channel must be one of {', '.join(ReplyChannel.values)}",
            code="invalid_choice",
            field="channel",
        )
    today = timezone.localdate()
    if not today - timedelta(days=366) <= data.replied_on <= today:
        raise InvalidInput(
            "答复日期须在一年内且不晚于今天",
            "replied_on must be within the last year and not in the future",
            code="out_of_range",
            field="replied_on",
        )
    return text


def record_reply(actor: Actor, notice_id: int, data: ReplyInput) -> Reply:
    """答复 of a 批办 notice whose 批示 are in; may finish the case and complete the notice."""
    require_perm(actor.user, roles.RECORD_REPLY)
    text = _clean(data)
    finished = False
    with transaction.atomic(durable=True):
        notice = common.lock_notice(actor, notice_id)
        case = common.lock_case(notice)
        same = case.replies.filter(
            text=text, replied_on=data.replied_on, channel=data.channel
        ).first()
        if same is not None:
            return same
        if case.state == HandlingState.PROPOSED:
            raise Conflict(
                "领导批示尚未完成，不能登记答复",
                "The leaders' 批示 are not all in yet; a reply cannot be recorded",
                code="invalid_state",
                extra={"state": case.state},
            )
        common.require_notice_state(notice, (NoticeState.CIRCULATING, NoticeState.COMPLETED))
        now = timezone.now()
        reply = Reply.objects.create(
            case=case,
            text=text,
            replied_on=data.replied_on,
            channel=data.channel,
            recorded_by=actor.user,
            recorded_at=now,
        )
        append_event(
            actor,
            common.REPLY_RECORDED,
            reply,
            notice_id=notice.pk,
            data={
                "text": text,
                "replied_on": data.replied_on.isoformat(),
                "channel": data.channel,
            },
        )
        finished = advance_case(actor, notice, case)
    if finished:
        complete_after_answer(actor, notice.pk)
    return reply
