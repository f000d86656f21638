"""拟办: the clerk (or the office director) writes the 拟办意见 of a 批办 notice and sends it to
one or more leaders for their 批示.

The 拟办意见 names the 承办 unit (主办), any 协办 units, the readers (传阅) and the deadline in
working days; each named leader gets a 待批示 :class:`Instruction` and a notification. One
拟办意见 per notice: a second one is a 409 (an identical repeat, e.g. a double click, answers the
first unchanged).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, InvalidInput
from circulation.records.models import Handling, HandlingCase, Instruction
from circulation.records.permissions import require_perm
from circulation.records.validation import clean_text
from workflows.machines import HandlingState
from workflows.services import handling_common as common
from workflows.services.forwarding import MAX_WORKING_DAYS, _resolve_people, _resolve_units

DEFAULT_WORKING_DAYS = 5


@dataclass(frozen=True)
class ProposalInput:
    text: str
    lead_unit: str  # code or exact Chinese name
    leaders: Sequence[str]  # usernames of the leaders asked for their 批示
    co_units: Sequence[str] = ()
    readers: Sequence[str] = ()  # usernames
    due_working_days: int = DEFAULT_WORKING_DAYS
    reply_expected: bool = False
    skip_agree_notice: bool = False  # don't tell me when a leader only agrees


def _check_days(days: int) -> int:
    if not 1 <= days <= MAX_WORKING_DAYS:
        raise InvalidInput(
            f"承办时限须在 1 到 {MAX_WORKING_DAYS} 个工作日之间",
            f"due_working_days must be between 1 and {MAX_WORKING_DAYS}",
            code="out_of_range",
            field="due_working_days",
        )
    return days


def propose_handling(actor: Actor, notice_id: int, data: ProposalInput) -> HandlingCase:
    """拟办: create the notice's 批办单 and a 待批示 instruction per named leader."""
    require_perm(actor.user, roles.PROPOSE_HANDLING)
    text = clean_text(data.text, common.PROPOSAL)
    if not text:
        raise InvalidInput(
            "请填写拟办意见", "The proposal text is required", code="required", field="text"
        )
    days = _check_days(data.due_working_days)
    with transaction.atomic(durable=True):
        notice = common.lock_notice(actor, notice_id)
        existing = HandlingCase.objects.filter(notice_id=notice.pk).first()
        if existing is not None:
            if existing.proposal == text and existing.proposed_by_id == actor.user.pk:
                return existing  # the same click twice
            raise Conflict(
                "这件收文已有拟办意见",
                "This notice already has a 拟办 proposal",
                code="already_proposed",
                extra={"state": existing.state},
            )
        if notice.handling != Handling.ACTION:
            raise Conflict(
                "只有办理类型为“批办”的收文需要拟办",
                "Only a notice handled as 批办 (action) takes a 拟办 proposal",
                code="not_action",
                field="handling",
            )
        common.require_notice_state(notice, common.HANDLING_NOTICE_STATES)
        lead = _resolve_units(notice.organisation_id, [data.lead_unit])[0]
        co_units = [
            unit
            for unit in (
                _resolve_units(notice.organisation_id, data.co_units) if data.co_units else []
            )
            if unit.pk != lead.pk
        ]
        readers = _resolve_people(notice.organisation_id, data.readers) if data.readers else []
        leaders = common.leaders_among(notice.organisation_id, data.leaders)
        now = timezone.now()
        case = HandlingCase.objects.create(
            notice=notice,
            proposal=text,
            proposed_by=actor.user,
            proposed_at=now,
            lead_unit=lead,
            due_working_days=days,
            reply_expected=data.reply_expected,
            skip_agree_notice=data.skip_agree_notice,
        )
        if co_units:
            case.co_units.set(co_units)
        if readers:
            case.readers.set(readers)
        Instruction.objects.bulk_create(
            [Instruction(case=case, leader=leader) for leader in leaders]
        )
        label = common.notice_label(notice)
        common.notify(
            [leader.pk for leader in leaders],
            notice,
            f"请批示：{label}",
            f"{actor.user.name}拟办：{text}\n拟由{lead.name}承办。请阅批。",
            f"handling:proposed:{case.pk}",
            now,
        )
        append_event(
            actor,
            common.PROPOSED,
            case,
            notice_id=notice.pk,
            to_state=HandlingState.PROPOSED,
            data={
                "text": text,
                "lead_unit": lead.code,
                "co_units": [unit.code for unit in co_units],
                "readers": [person.username for person in readers],
                "leaders": [leader.username for leader in leaders],
                "due_working_days": days,
                "reply_expected": data.reply_expected,
            },
        )
    return case
