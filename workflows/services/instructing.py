"""批示: each leader named in the 拟办意见 writes a 批示 (free text), agrees to the 拟办意见 in one
tap (同意拟办意见) or only ticks that they read it (圈阅).

A free-text 批示 may change the 承办 unit, the 协办 units and the readers; with several
leaders the latest 批示 that changes one of them wins. When the last named leader has answered
(in the same transaction) the case moves to 承办中: one :class:`Assignment` per 承办 unit with
its deadline in working days, the readers get ordinary 阅知 acknowledgements through the
forwarding service (:func:`workflows.services.forwarding.forward_within`, 传阅人 = the proposer)
and the notice circulates. The proposer is told of every 批示, unless it only agrees and they
asked to skip those.

Only the named leader — or their delegate in force, a leader too (代理) — acts on their 批示
(:func:`handling_common.acting_as`; ``acted_by`` and the audit event say who); a repeat of the same
批示 (a double click) answers it unchanged, a different one is a 409.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, Forbidden, InvalidInput
from circulation.records.models import (
    Assignment,
    AssignmentRole,
    HandlingCase,
    Instruction,
    InstructionKind,
    Notice,
    Person,
    Unit,
)
from circulation.records.permissions import not_found
from circulation.records.validation import clean_text
from workflows.calendar import add_working_days
from workflows.machines import HandlingState, InstructionState, NoticeState
from workflows.services import handling_common as common
from workflows.services.delegation import Acting
from workflows.services.forwarding import (
    ForwardRequest,
    _resolve_people,
    _resolve_units,
    forward_within,
)


@dataclass(frozen=True)
class InstructionInput:
    kind: str  # InstructionKind: text / agree / circle
    text: str = ""
    lead_unit: str | None = None  # change the 承办 unit (text 批示 only)
    co_units: Sequence[str] | None = None  # replace the 协办 units (None: unchanged)
    readers: Sequence[str] | None = None  # replace the readers (None: unchanged)


def _clean(data: InstructionInput) -> tuple[str, str]:
    if data.kind not in InstructionKind.values:
        raise InvalidInput(
            f"批示类型须为 {'、'.join(InstructionKind.values)} 之一",
            f"kind must be one of {', '.join(InstructionKind.values)}",
            code="invalid_choice",
            field="kind",
        )
    text = clean_text(data.text, common.INSTRUCTION_TEXT)
    changes = data.lead_unit is not None or data.co_units is not None or data.readers is not None
    if data.kind == InstructionKind.TEXT and not text:
        raise InvalidInput(
            "请填写批示内容", "The 批示 text is required", code="required", field="text"
        )
    if data.kind != InstructionKind.TEXT and changes:
        raise InvalidInput(
            "只有填写批示时可以改定承办单位或传阅人员",
            "Only a written 批示 (kind text) may change the 承办 unit or the readers",
            code="changes_need_text",
            field="lead_unit" if data.lead_unit is not None else "readers",
        )
    return data.kind, text


def _locked_instruction(
    actor: Actor, instruction_id: int
) -> tuple[Notice, HandlingCase, Instruction, Acting]:
    notice, case, instruction = common.lock_case_item(actor, Instruction, instruction_id, "leader")
    acting = common.acting_as(actor, instruction.leader_id, leader_only=True)
    if acting is None:
        if common.sees_case(actor.user, case):
            raise Forbidden(
                "只有拟办意见中指定的领导可以批示",
                "Only the leaders named in the proposal can give this 批示",
                code="not_named_leader",
            )
        raise not_found()
    return notice, case, instruction, acting


def give_instruction(actor: Actor, instruction_id: int, data: InstructionInput) -> Instruction:
    """批示 / 同意拟办意见 / 圈阅 by a named leader; the last one starts the 承办."""
    kind, text = _clean(data)
    with transaction.atomic(durable=True):
        notice, case, instruction, acting = _locked_instruction(actor, instruction_id)
        if instruction.state == InstructionState.GIVEN:
            if instruction.kind == kind and instruction.text == text:
                return instruction  # the same tap twice
            raise Conflict(
                "您已批示，不能重复批示",
                "You have already given this 批示",
                code="already_given",
                extra={"state": instruction.state},
            )
        common.require_notice_state(notice, common.HANDLING_NOTICE_STATES)
        lead = co_units = readers = None
        if data.lead_unit is not None:
            lead = _resolve_units(notice.organisation_id, [data.lead_unit])[0]
        if data.co_units is not None:
            co_units = (
                _resolve_units(notice.organisation_id, data.co_units) if data.co_units else []
            )
        if data.readers is not None:
            readers = _resolve_people(notice.organisation_id, data.readers) if data.readers else []
        now = timezone.now()
        instruction.give()
        instruction.kind = kind
        instruction.text = text
        instruction.lead_unit = lead
        instruction.co_units_changed = co_units is not None
        instruction.readers_changed = readers is not None
        instruction.given_at = now
        instruction.acted_by = actor.user
        instruction.save()
        if co_units:
            instruction.co_units.set(co_units)
        if readers:
            instruction.readers.set(readers)
        label = common.notice_label(notice)
        who = actor.user.name
        if acting.on_behalf:  # 代理: "X 代 Y"
            who = f"{actor.user.name}代{instruction.leader.name}"
        if not (kind == InstructionKind.AGREE and case.skip_agree_notice):
            common.notify(
                [case.proposed_by_id],
                notice,
                f"{who}已批示：{label}",
                f"{instruction.get_kind_display()}：{text or instruction.get_kind_display()}",
                f"handling:instructed:{instruction.pk}",
                now,
            )
        append_event(
            actor,
            common.INSTRUCTED,
            instruction,
            notice_id=notice.pk,
            from_state=InstructionState.PENDING,
            to_state=InstructionState.GIVEN,
            data={
                "leader": instruction.leader.username,
                "kind": kind,
                "text": text,
                "lead_unit": lead.code if lead else None,
                "co_units": [unit.code for unit in co_units] if co_units is not None else None,
                "readers": [p.username for p in readers] if readers is not None else None,
                **acting.audit_data(),
            },
        )
        last = not case.instructions.filter(state=InstructionState.PENDING).exists()
        if last:
            _start_undertaking(actor, notice, case, now)
    return instruction


def decided(case: HandlingCase) -> tuple[Unit, list[Unit], list[Person]]:
    """The 承办 unit, 协办 units and readers after every 批示: the proposal's, each replaced
    by the latest given 批示 that changes it."""
    lead: Unit = case.lead_unit
    co_units = list(case.co_units.all())
    readers = list(case.readers.all())
    given = (
        case.instructions.filter(state=InstructionState.GIVEN)
        .select_related("lead_unit")
        .prefetch_related("co_units", "readers")
        .order_by("given_at", "pk")
    )
    for instruction in given:
        if instruction.lead_unit is not None:
            lead = instruction.lead_unit
        if instruction.co_units_changed:
            co_units = list(instruction.co_units.all())
        if instruction.readers_changed:
            readers = list(instruction.readers.all())
    return lead, [unit for unit in co_units if unit.pk != lead.pk], readers


def _start_undertaking(actor: Actor, notice: Notice, case: HandlingCase, now: datetime) -> None:
    """Every named leader has answered: assign the 承办 units, forward to the readers and
    circulate the notice, all in the caller's transaction (notice and case locked)."""
    lead, co_units, readers = decided(case)
    deadline = add_working_days(now, case.due_working_days)
    Assignment.objects.bulk_create(
        [
            Assignment(
                case=case,
                unit=unit,
                role=role,
                due_at=deadline.due_at,
                calendar_note=deadline.calendar_note or "",
                assigned_at=now,
            )
            for unit, role in [
                (lead, AssignmentRole.LEAD),
                *((unit, AssignmentRole.CO) for unit in co_units),
            ]
        ]
    )
    case.start_undertaking()
    case.undertaking_at = now
    case.save()
    from_notice = notice.state
    if readers:
        forward_within(
            actor,
            notice.pk,
            ForwardRequest(
                usernames=[person.username for person in readers],
                instruction=case.proposal,
                due_working_days=case.due_working_days,
            ),
            forwarded_by=case.proposed_by,
        )
        notice.refresh_from_db(fields=["state"])
    if notice.state == NoticeState.REGISTERED:  # no new reader: 承办 alone starts circulation
        notice.circulate()
        if notice.due_at is None:
            notice.due_at = deadline.due_at
        notice.save()
    unit_people = set(
        Unit.objects.filter(pk__in=[lead.pk, *(u.pk for u in co_units)])
        .exclude(memberships__person__isnull=True)
        .values_list("memberships__person", flat=True)
    ) | set(
        Unit.objects.filter(
            pk__in=[lead.pk, *(u.pk for u in co_units)], head__isnull=False
        ).values_list("head", flat=True)
    )
    label = common.notice_label(notice)
    local_due = timezone.localtime(deadline.due_at)
    common.notify(
        unit_people,
        notice,
        f"请承办：{label}",
        f"主办：{lead.name}；协办：{'、'.join(u.name for u in co_units) or '无'}；"
        f"办理时限：{local_due:%Y-%m-%d %H:%M}。",
        f"handling:assigned:{case.pk}",
        now,
    )
    append_event(
        actor,
        common.UNDERTAKING,
        case,
        notice_id=notice.pk,
        from_state=HandlingState.PROPOSED,
        to_state=HandlingState.UNDERTAKING,
        data={
            "lead_unit": lead.code,
            "co_units": [unit.code for unit in co_units],
            "readers": [person.username for person in readers],
            "due_at": deadline.due_at.isoformat(),
            "calendar_note": deadline.calendar_note,
            "notice_from": from_notice,
            "notice_to": notice.state,
        },
    )
