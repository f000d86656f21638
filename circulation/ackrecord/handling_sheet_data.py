"""The data of a 处理笺 (阅办单) of a 批办 notice, collected in a constant number of queries.

Plain JSON like the 阅知确认单's data (:mod:`circulation.ackrecord.data`): strings, numbers,
lists and dicts, times as ISO 8601 in local time with the offset, labels always zh-hans. It is
hashed canonically (the sheet's 数据哈希) and embedded in the PDF as ``handling.json``. It holds
nothing that changes without the sheet changing (no "now", no overdue flags).

What it holds, in the order the sheet prints it: the notice's metadata; the 拟办意见 with who
and when; each named leader's 批示 (圈阅 and 同意拟办意见 as such, changes of the 承办 unit, the
协办 units or the readers, "X 代 Y" when a delegate gave it); the 承办 (the lead unit and its
办理结果, the 协办 parts; before every 批示 is in, the units as proposed); the 传阅 readers and
their confirmations; the 答复.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone, translation

from circulation.ackrecord.data import RecordData
from circulation.records.models import (
    Acknowledgement,
    Assignment,
    AssignmentRole,
    Attachment,
    HandlingCase,
    Instruction,
    InstructionKind,
    Notice,
    Person,
    Reply,
    ReplyChannel,
    Unit,
)
from workflows.machines import AckState, AssignmentState, HandlingState, InstructionState

SHEET_FORMAT = 1
SheetData = RecordData

__all__ = ["SHEET_FORMAT", "SheetData", "collect_sheet_data"]


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _person(person: Person | None) -> dict[str, str] | None:
    return {"username": person.username, "name": person.name} if person else None


def _names(people: list[Person]) -> list[dict[str, str] | None]:
    return [_person(p) for p in people]


def _units(units: list[Unit]) -> list[dict[str, str]]:
    return [{"code": u.code, "name": u.name} for u in units]


def _files(files: Iterable[Any]) -> list[dict[str, Any]]:
    """The files of a 办理结果 or a 答复 (name, SHA-256, size), in upload order."""
    return [
        {"name": f.original_name, "sha256": f.sha256, "size": f.size}
        for f in sorted(files, key=lambda f: f.pk)
    ]


def _by(actor: Person | None, principal: Person | None) -> dict[str, str] | None:
    """Who acted, only when it was someone else (a delegate: "X 代 Y")."""
    if actor is None or principal is None or actor.pk == principal.pk:
        return None
    return _person(actor)


def collect_sheet_data(notice_id: int, *, lock: bool = False) -> SheetData:
    """Everything the 处理笺 shows (13 queries at most, whatever the number of leaders, units,
    readers or replies). With ``lock`` the notice row is locked first (the caller's
    transaction): every 批办 and 阅知 service locks it before it changes anything, so the data
    is one consistent state."""
    with translation.override("zh-hans"):
        query = Notice.objects.select_related("organisation", "received_by")
        if lock:
            query = query.select_for_update(no_key=True, of=("self",))
        notice = query.get(pk=notice_id)
        case = (
            HandlingCase.objects.filter(notice_id=notice.pk)
            .select_related("proposed_by", "lead_unit")
            .prefetch_related(
                Prefetch("co_units", queryset=Unit.objects.order_by("sort_order", "code")),
                Prefetch("readers", queryset=Person.objects.order_by("username")),
            )
            .first()
        )
        acks = list(
            Acknowledgement.objects.filter(notice_id=notice.pk)
            .select_related("person", "unit", "acted_by", "round")
            .order_by("round__number", "unit__sort_order", "unit__code", "person__username", "pk")
        )
        attachments = Attachment.objects.filter(notice_id=notice.pk).count()
        return _build(notice, case, acks, attachments)


def _instructions(case: HandlingCase) -> list[Instruction]:
    return list(
        Instruction.objects.filter(case=case)
        .select_related("leader", "acted_by", "lead_unit")
        .prefetch_related(
            Prefetch("co_units", queryset=Unit.objects.order_by("sort_order", "code")),
            Prefetch("readers", queryset=Person.objects.order_by("username")),
        )
        .order_by("pk")
    )


def _assignments(case: HandlingCase) -> list[Assignment]:
    return list(
        Assignment.objects.filter(case=case)
        .select_related("unit", "accepted_by", "result_by")
        .prefetch_related("attachments")
        .order_by("unit__sort_order", "unit__code")
    )


def _replies(case: HandlingCase) -> list[Reply]:
    return list(
        Reply.objects.filter(case=case)
        .select_related("recorded_by")
        .prefetch_related("attachments")
        .order_by("replied_on", "pk")
    )


def _instruction(ins: Instruction) -> dict[str, Any]:
    given = ins.state == InstructionState.GIVEN
    kind = ins.kind if given else ""
    item: dict[str, Any] = {
        "leader": _person(ins.leader),
        "state": ins.state,
        "state_label": str(InstructionState(ins.state).label),
        "kind": kind,
        "kind_label": str(InstructionKind(kind).label) if kind else "",
        "text": ins.text if given else "",
        "given_at": _time(ins.given_at),
        "acted_by": _by(ins.acted_by, ins.leader),
        "changes": {},
    }
    if given and ins.lead_unit is not None:
        item["changes"]["lead_unit"] = {"code": ins.lead_unit.code, "name": ins.lead_unit.name}
    if given and ins.co_units_changed:
        item["changes"]["co_units"] = _units(list(ins.co_units.all()))
    if given and ins.readers_changed:
        item["changes"]["readers"] = _names(list(ins.readers.all()))
    return item


def _assignment(a: Assignment) -> dict[str, Any]:
    return {
        "unit": {"code": a.unit.code, "name": a.unit.name},
        "role": a.role,
        "role_label": str(AssignmentRole(a.role).label),
        "state": a.state,
        "state_label": str(AssignmentState(a.state).label),
        "assigned_at": _time(a.assigned_at),
        "due_at": _time(a.due_at),
        "accepted_at": _time(a.accepted_at),
        "accepted_by": _person(a.accepted_by),
        "result": a.result,
        "result_at": _time(a.result_at),
        "result_by": _person(a.result_by),
        "attachments": _files(a.attachments.all()),
    }


def _reply(r: Reply) -> dict[str, Any]:
    return {
        "text": r.text,
        "replied_on": _date(r.replied_on),
        "channel": r.channel,
        "channel_label": str(ReplyChannel(r.channel).label),
        "recorded_by": _person(r.recorded_by),
        "recorded_at": _time(r.recorded_at),
        "attachments": _files(r.attachments.all()),
    }


def _reader(ack: Acknowledgement) -> dict[str, Any]:
    at = ack.confirmed_at or ack.returned_at or ack.cancelled_at or ack.opened_at
    return {
        "person": _person(ack.person),
        "unit": ack.unit.name if ack.unit else "",
        "round": ack.round.number,
        "state": ack.state,
        "state_label": str(AckState(ack.state).label),
        "at": _time(at),
        "comment": ack.comment,
        "return_reason": ack.return_reason,
        "acted_by": _by(ack.acted_by, ack.person),
    }


def _proposed_units(case: HandlingCase, instructions: list[Instruction]) -> dict[str, Any]:
    """The 承办 and 协办 units as the 拟办意见 and the 批示 given so far decide them (the latest
    批示 that changes one wins; the same rule as ``instructing.decided``), before assigning."""
    lead = case.lead_unit
    co_units = list(case.co_units.all())
    given = sorted(
        (i for i in instructions if i.state == InstructionState.GIVEN and i.given_at),
        key=lambda i: (i.given_at, i.pk),
    )
    for ins in given:
        if ins.lead_unit is not None:
            lead = ins.lead_unit
        if ins.co_units_changed:
            co_units = list(ins.co_units.all())
    return {
        "lead_unit": {"code": lead.code, "name": lead.name},
        "co_units": _units([u for u in co_units if u.pk != lead.pk]),
    }


def _build(
    notice: Notice, case: HandlingCase | None, acks: list[Acknowledgement], attachments: int
) -> SheetData:
    handling: dict[str, Any] | None = None
    if case is not None:
        instructions = _instructions(case)
        assignments = _assignments(case)
        handling = {
            "state": case.state,
            "state_label": str(HandlingState(case.state).label),
            "proposal": case.proposal,
            "proposed_by": _person(case.proposed_by),
            "proposed_at": _time(case.proposed_at),
            "proposed_units": {
                "lead_unit": {"code": case.lead_unit.code, "name": case.lead_unit.name},
                "co_units": _units(list(case.co_units.all())),
                "readers": _names(list(case.readers.all())),
            },
            "due_working_days": case.due_working_days,
            "reply_expected": case.reply_expected,
            "instructions": [_instruction(i) for i in instructions],
            "decided_units": _proposed_units(case, instructions),
            "assignments": [
                _assignment(a)
                for a in sorted(assignments, key=lambda a: a.role != AssignmentRole.LEAD)
            ],
            "replies": [_reply(r) for r in _replies(case)],
            "undertaking_at": _time(case.undertaking_at),
            "done_at": _time(case.done_at),
        }
    organisation = notice.organisation
    return {
        "format": SHEET_FORMAT,
        "kind": "handling_sheet",
        "organisation": {
            "name": organisation.name,
            "short_name": organisation.short_name,
            "fonds_code": organisation.fonds_code,
        },
        "notice": {
            "id": notice.pk,
            "registration_no": notice.registration_no,
            "issuer": notice.issuer,
            "doc_number": notice.doc_number,
            "title": notice.title,
            "doc_type": notice.doc_type,
            "issued_on": _date(notice.issued_on),
            "secrecy": notice.secrecy,
            "secrecy_label": notice.get_secrecy_display(),
            "urgency": notice.urgency,
            "urgency_label": notice.get_urgency_display(),
            "received_at": _time(notice.received_at),
            "received_by": _person(notice.received_by),
            "attachments": attachments,
            "completed_at": _time(notice.completed_at),
        },
        "handling": handling,
        "readers": [_reader(ack) for ack in acks],
    }
