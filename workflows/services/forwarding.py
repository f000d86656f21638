"""传阅 / 补发: forward a notice to units (expanded to their members) and people.

A constant number of queries whatever the number of recipients: the recipients are resolved with
set-based queries and the acknowledgements are written with one ``INSERT … SELECT`` over two
arrays (:func:`_insert_acknowledgements`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, InvalidInput
from circulation.records.models import (
    Acknowledgement,
    AuditAction,
    CirculationRound,
    Membership,
    Notice,
    Person,
    Unit,
)
from circulation.records.permissions import not_found, require_perm, require_same_organisation
from circulation.records.validation import INSTRUCTION, clean_due_at, clean_text
from workflows.calendar import add_working_days
from workflows.machines import NoticeState
from workflows.reminders import sql
from workflows.reminders.announcements import announce_forward

FORWARDABLE = (NoticeState.REGISTERED, NoticeState.CIRCULATING, NoticeState.COMPLETED)
MAX_WORKING_DAYS = 250


@dataclass(frozen=True)
class ForwardRequest:
    unit_codes: Sequence[str] = ()  # codes or exact Chinese names
    usernames: Sequence[str] = ()
    instruction: str = ""
    due_at: datetime | None = None
    due_working_days: int | None = None


@dataclass(frozen=True)
class ForwardResult:
    notice: Notice
    round: CirculationRound | None
    recipients_added: int
    due_at: datetime | None
    calendar_note: str | None


def _validate(request: ForwardRequest) -> ForwardRequest:
    if not request.unit_codes and not request.usernames:
        raise InvalidInput(
            "请至少选择一个机构或人员",
            "Choose at least one unit or person",
            code="no_recipients",
            field="units",
        )
    if request.due_at is not None and request.due_working_days is not None:
        raise InvalidInput(
            "办理时限只能填写具体时间或工作日天数之一",
            "Give either due_at or due_working_days, not both",
            code="ambiguous_deadline",
            field="due_working_days",
        )
    if request.due_working_days is not None and not (
        1 <= request.due_working_days <= MAX_WORKING_DAYS
    ):
        raise InvalidInput(
            f"工作日天数须在 1 到 {MAX_WORKING_DAYS} 之间",
            f"due_working_days must be between 1 and {MAX_WORKING_DAYS}",
            code="out_of_range",
            field="due_working_days",
        )
    return replace(
        request,
        instruction=clean_text(request.instruction, INSTRUCTION),
        due_at=clean_due_at(request.due_at),
    )


def _resolve_units(organisation_id: int, given: Sequence[str]) -> list[Unit]:
    """Units by code (``GYG``, any case) or by their exact Chinese name (``工业股``) within the
    organisation; any unknown (or ambiguous) one refuses the whole forward, named as given."""
    wanted = list(dict.fromkeys(text.strip() for text in given))
    found = Unit.objects.filter(organisation_id=organisation_id, is_active=True).filter(
        Q(code__in=[text.upper() for text in wanted]) | Q(name__in=wanted)
    )
    by_code: dict[str, Unit] = {}
    by_name: dict[str, list[Unit]] = {}
    for row in found:
        by_code[row.code] = row
        by_name.setdefault(row.name, []).append(row)
    units: dict[int, Unit] = {}
    unknown: list[str] = []
    ambiguous: list[str] = []
    for text in wanted:
        unit = by_code.get(text.upper())
        named = by_name.get(text, [])
        if unit is None and len(named) == 1:
            unit = named[0]
        if unit is not None:
            units[unit.pk] = unit
        elif named:
            ambiguous.append(text)
        else:
            unknown.append(text)
    if ambiguous:
        raise InvalidInput(
            f"以下机构名称对应多个机构，请改用机构代码：{'、'.join(ambiguous)}；本次传阅未执行",
            f"These unit names match several units, give their codes: {', '.join(ambiguous)}; "
            "nothing was forwarded",
            code="ambiguous_unit",
            field="units",
            extra={"ambiguous": ambiguous},
        )
    if unknown:
        names = "、".join(unknown)
        raise InvalidInput(
            f"以下机构不存在或已停用：{names}；本次传阅未执行",
            f"Unknown or inactive units: {', '.join(unknown)}; nothing was forwarded",
            code="unknown_unit",
            field="units",
            extra={"unknown": unknown},
        )
    return sorted(units.values(), key=lambda unit: (unit.sort_order, unit.code))


def _resolve_people(organisation_id: int, usernames: Sequence[str]) -> list[Person]:
    wanted = list(dict.fromkeys(name.strip() for name in usernames))
    people = list(
        Person.objects.filter(
            organisation_id=organisation_id, username__in=wanted, is_active=True
        ).only("id", "username")
    )
    unknown = sorted(set(wanted) - {person.username for person in people})
    if unknown:
        raise InvalidInput(
            f"以下人员不存在或已停用：{'、'.join(unknown)}；本次传阅未执行",
            f"Unknown or inactive people: {', '.join(unknown)}; nothing was forwarded",
            code="unknown_person",
            field="people",
            extra={"unknown": unknown},
        )
    return people


def _recipients(units: list[Unit], people: list[Person]) -> dict[int, int | None]:
    """person id → the unit they are reached through (snapshot kept on the acknowledgement)."""
    recipients: dict[int, int | None] = {}
    if units:
        order = {unit.id: index for index, unit in enumerate(units)}
        rows = Membership.objects.filter(unit__in=units, person__is_active=True).values_list(
            "person_id", "unit_id"
        )
        for person_id, unit_id in sorted(rows, key=lambda row: (order[row[1]], row[0])):
            recipients.setdefault(person_id, unit_id)
    if people:
        direct = [person.id for person in people if person.id not in recipients]
        primary: dict[int, int] = {}
        rows = (
            Membership.objects.filter(person_id__in=direct)
            .order_by("-is_primary", "unit__sort_order")
            .values_list("person_id", "unit_id")
        )
        for person_id, unit_id in rows:
            primary.setdefault(person_id, unit_id)
        for person_id in direct:
            recipients.setdefault(person_id, primary.get(person_id))
    return recipients


def forward_notice(actor: Actor, notice_id: int, request: ForwardRequest) -> ForwardResult:
    """Forward to units and people; a second forward adds only new recipients.

    Nothing new to add is a no-op: no round, no audit event, the notice unchanged.
    """
    require_perm(actor.user, roles.FORWARD_NOTICE)
    return _forward(actor, notice_id, _validate(request), durable=True, forwarded_by=actor.user)


def forward_within(
    actor: Actor, notice_id: int, request: ForwardRequest, *, forwarded_by: Person
) -> ForwardResult:
    """The same 传阅, inside a caller's transaction that holds the notice's row lock and has
    checked who may do it (批办: the readers named when the last 批示 is in). ``forwarded_by``
    is the round's 传阅人, whom returns and escalations reach (the clerk who proposed)."""
    return _forward(actor, notice_id, _validate(request), durable=False, forwarded_by=forwarded_by)


def _forward(
    actor: Actor,
    notice_id: int,
    request: ForwardRequest,
    *,
    durable: bool,
    forwarded_by: Person,
) -> ForwardResult:
    with transaction.atomic(durable=durable):
        notice = Notice.objects.select_for_update(no_key=True).filter(pk=notice_id).first()
        if notice is None:
            raise not_found()
        require_same_organisation(actor.user, notice)
        if notice.state not in FORWARDABLE:
            raise Conflict(
                f"收文当前状态为“{notice.get_state_display()}”，不能传阅",
                f"A notice in state {notice.state} cannot be forwarded",
                code="invalid_state",
                extra={"state": notice.state},
            )
        units = _resolve_units(notice.organisation_id, request.unit_codes)
        people = _resolve_people(notice.organisation_id, request.usernames)
        recipients = _recipients(units, people)
        existing = set(
            Acknowledgement.objects.filter(notice=notice).values_list("person_id", flat=True)
        )
        new = {pid: uid for pid, uid in recipients.items() if pid not in existing}

        due_at, note = request.due_at, None
        if request.due_working_days is not None:
            deadline = add_working_days(timezone.now(), request.due_working_days)
            due_at, note = deadline.due_at, deadline.calendar_note
        if not new:
            return ForwardResult(notice, None, 0, due_at or notice.due_at, note)
        due_at = due_at or notice.due_at
        now = timezone.now()
        number = (notice.rounds.aggregate(n=Max("number"))["n"] or 0) + 1
        circulation_round = CirculationRound.objects.create(
            notice_id=notice.pk,
            number=number,
            forwarded_by=forwarded_by,
            forwarded_at=now,
            instruction=request.instruction.strip() or notice.instruction,
            due_at=due_at,
            calendar_note=note or "",
            recipients_added=len(new),
        )
        if units:
            circulation_round.units.set(units)
        if people:
            circulation_round.people.set(people)
        _insert_acknowledgements(
            Acknowledgement(notice_id=notice.pk, round=circulation_round, due_at=due_at), new
        )
        # 传阅通知: in-app and email per person, the units' group robots; sent after commit.
        announce_forward(
            notice, circulation_round, new, [unit.pk for unit in units], forwarded_by, now
        )
        from_state = notice.state
        if notice.state != NoticeState.CIRCULATING:
            notice.circulate()
        if notice.due_at is None:
            notice.due_at = due_at
        if request.instruction.strip() and not notice.instruction:
            notice.instruction = request.instruction.strip()
        notice.save()
        append_event(
            actor,
            AuditAction.NOTICE_FORWARDED,
            notice,
            notice_id=notice.pk,
            from_state=from_state,
            to_state=notice.state,
            data={
                "round": number,
                "units": [unit.code for unit in units],
                "people": [person.username for person in people],
                "recipients_added": len(new),
                "due_at": due_at.isoformat() if due_at else None,
                "calendar_note": note,
            },
        )
    return ForwardResult(notice, circulation_round, len(new), due_at, note)


def _insert_acknowledgements(template: Acknowledgement, recipients: dict[int, int | None]) -> None:
    """One pending acknowledgement per (person, unit) of ``recipients``, otherwise like
    ``template``: one ``INSERT … SELECT … FROM unnest(people, units)``, the two columns as
    array parameters (:mod:`workflows.reminders.sql`, as the sweep writes its batches).

    ``bulk_create`` built a model instance per recipient and prepared each of its 18 values
    (10,001 instances and 170,000 values to forward to 10,001 people: most of the forward's Python
    time, docs/benchmarks.md). Here every column but the person and the unit takes the value
    ``bulk_create`` would have written for the template (its field's ``pre_save`` — the default,
    or ``created_at``'s now — prepared once), cast to the column's type.
    """
    meta = Acknowledgement._meta
    qn = connection.ops.quote_name
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    per_row = {"person": "people.person_id", "unit": "people.unit_id"}
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(qn(field.column))
        if field.name in per_row:
            values.append(per_row[field.name])
            continue
        value = field.get_db_prep_save(field.pre_save(template, add=True), connection)
        values.append(f"CAST(%s AS {field.db_type(connection)})")
        params.append(value)
    statement = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 (names from _meta)
        f"SELECT {', '.join(values)} "
        f"FROM {sql.unnest(('id', 'id'))} AS people(person_id, unit_id)"
    )
    people, units = sql.ids_array(recipients), sql.ids_array(recipients.values())
    sql.execute(statement, [*params, people, units])
