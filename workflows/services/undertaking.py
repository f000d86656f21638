"""承办: a 承办 unit accepts the work (接收) and records its 办理结果.

Who: the unit's head and any of its members (:func:`handling_common.acts_for_unit`); anyone else
who can see the notice gets a 403, anyone who cannot a 404. The lead unit's (主办) result moves
the case to 已办毕 — or to 待答复 when a 答复 is expected and not yet recorded; a 协办 unit's
result is its part and moves nothing else. After the commit the notice completes (办结) if no
acknowledgement is open (:func:`workflows.services.completion.complete_after_answer`).

Recording a result without accepting first accepts it in the same step. Repeating an action
that already happened (the same result twice) answers unchanged; a different second result is
a 409. A withdrawn notice refuses both (409).
"""

from django.db import transaction
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, Forbidden, InvalidInput
from circulation.records.models import Assignment, AssignmentRole, HandlingCase, Notice
from circulation.records.permissions import not_found
from circulation.records.validation import clean_text
from workflows.machines import AssignmentState, HandlingState, NoticeState
from workflows.services import handling_common as common
from workflows.services.completion import complete_after_answer


def _locked_assignment(actor: Actor, assignment_id: int) -> tuple[Notice, HandlingCase, Assignment]:
    notice, case, assignment = common.lock_case_item(actor, Assignment, assignment_id, "unit")
    if not common.acts_for_unit(actor, assignment.unit_id):
        if common.sees_case(actor.user, case):
            raise Forbidden(
                "只有承办单位的人员可以办理",
                "Only the people of the 承办 unit can do this",
                code="not_in_unit",
            )
        raise not_found()
    common.require_notice_state(notice, (NoticeState.CIRCULATING,))
    return notice, case, assignment


def _accept_locked(actor: Actor, notice: Notice, assignment: Assignment) -> None:
    now = timezone.now()
    assignment.accept()
    assignment.accepted_at = now
    assignment.accepted_by = actor.user
    assignment.save()
    append_event(
        actor,
        common.ACCEPTED,
        assignment,
        notice_id=notice.pk,
        from_state=AssignmentState.ASSIGNED,
        to_state=AssignmentState.ACCEPTED,
        data={"unit": assignment.unit.code, "role": assignment.role},
    )


def accept_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """接收: the unit takes the work on (once; a repeat changes nothing)."""
    with transaction.atomic(durable=True):
        notice, _case, assignment = _locked_assignment(actor, assignment_id)
        if assignment.state == AssignmentState.ASSIGNED:
            _accept_locked(actor, notice, assignment)
    return assignment


def record_result(actor: Actor, assignment_id: int, text: str) -> Assignment:
    """办理结果 of a 承办 unit; the lead unit's finishes the case (or waits for the 答复)."""
    text = clean_text(text, common.RESULT)
    if not text:
        raise InvalidInput(
            "请填写办理结果", "The result text is required", code="required", field="text"
        )
    finished = False
    with transaction.atomic(durable=True):
        notice, case, assignment = _locked_assignment(actor, assignment_id)
        if assignment.state == AssignmentState.RESULTED:
            if assignment.result == text:
                return assignment
            raise Conflict(
                "办理结果已登记，不能重复登记",
                "The result is already recorded",
                code="already_recorded",
                extra={"state": assignment.state},
            )
        if assignment.state == AssignmentState.ASSIGNED:
            _accept_locked(actor, notice, assignment)
        now = timezone.now()
        assignment.record_result()
        assignment.result = text
        assignment.result_at = now
        assignment.result_by = actor.user
        assignment.save()
        append_event(
            actor,
            common.RESULT_RECORDED,
            assignment,
            notice_id=notice.pk,
            from_state=AssignmentState.ACCEPTED,
            to_state=AssignmentState.RESULTED,
            data={"unit": assignment.unit.code, "role": assignment.role, "text": text},
        )
        if assignment.role == AssignmentRole.LEAD:
            finished = advance_case(actor, notice, case)
        common.notify(
            [case.proposed_by_id],
            notice,
            f"{assignment.unit.name}已登记办理结果：{common.notice_label(notice)}",
            text,
            f"handling:result:{assignment.pk}",
            now,
        )
    if finished:
        complete_after_answer(actor, notice.pk)
    return assignment


def advance_case(actor: Actor, notice: Notice, case: HandlingCase) -> bool:
    """Move a locked case on after its lead result or its 答复; whether it is now 已办毕."""
    lead_done = case.assignments.filter(
        role=AssignmentRole.LEAD, state=AssignmentState.RESULTED
    ).exists()
    if not lead_done or case.state == HandlingState.DONE:
        return case.state == HandlingState.DONE
    replied = case.replies.exists()
    from_state = case.state
    if case.reply_expected and not replied:
        if case.state == HandlingState.UNDERTAKING:
            case.await_reply()
            case.save()
            append_event(
                actor,
                common.AWAITING_REPLY,
                case,
                notice_id=notice.pk,
                from_state=from_state,
                to_state=case.state,
            )
        return False
    case.finish()
    case.done_at = timezone.now()
    case.save()
    append_event(
        actor, common.DONE, case, notice_id=notice.pk, from_state=from_state, to_state=case.state
    )
    return True
