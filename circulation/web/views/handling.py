"""批办 (issue 16) in the web pages: what the 拟办, 批示, 承办 and 答复 pages share, the
批办 inbox (``/handling/``: a leader's 待批示 and their units' 承办, phone first), the people
search of the 拟办 and 批示 forms, and the 批办 section of the notice page.

Thin over helper A's services (``workflows.services.proposing`` / ``instructing`` /
``undertaking`` / ``replying``) and their reads (``handling_common.pending_instructions``,
``pending_assignments``, ``visible_case``): the same object permissions as the API (a leader not
named: 404, or 403 for those who see every notice; staff of another unit: the same).

The inbox is a fixed number of statements whatever the number of items (asserted in
tests/web/test_handling_pages.py): each list is one statement with its joins, cut to a page.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_safe

from circulation.records.errors import DomainError, NotVisible
from circulation.records.models import (
    Assignment,
    AssignmentRole,
    Handling,
    HandlingCase,
    Instruction,
    Notice,
    Person,
    Unit,
    UnitKind,
)
from circulation.records.roles import LEADER
from circulation.web.rowtext import local_minute, translated
from circulation.web.views.forward import PEOPLE_RESULTS, initials, note_in_language
from circulation.web.views.register import in_language, signed_in, web_actor
from workflows.machines import AssignmentState, HandlingState, InstructionState, NoticeState
from workflows.services import handling_common
from workflows.services.delegation import handled_by

__all__ = ["in_language", "signed_in", "web_actor"]

INBOX_SHOWN = 50  # each list; a leader rarely has more, and the count says so
# Translated once per request: the labels every item of the inbox repeats.
ROW_TEXT = {
    "doc_number": gettext_lazy("文号"),
    "urgency": gettext_lazy("紧急程度"),
    "proposed": gettext_lazy("拟办"),
    "lead_unit": gettext_lazy("拟承办"),
    "unit": gettext_lazy("承办单位"),
    "state": gettext_lazy("状态"),
    "due": gettext_lazy("办理时限"),
    "overdue": gettext_lazy("已逾期"),
    "on_behalf": gettext_lazy("代"),
}


def may_propose(user: Person) -> bool:
    return user.has_perm("records.propose_handling")


def may_reply(user: Person) -> bool:
    return user.has_perm("records.record_reply")


def error_field(error: DomainError, fields: tuple[str, ...]) -> str:
    """The form field a service error belongs to, else ``__all__`` (shown above the form)."""
    return error.field if error.field in fields else "__all__"


def not_visible_as_404(error: DomainError) -> None:
    if isinstance(error, NotVisible):
        raise Http404 from error


def org_units(user: Person) -> list[Unit]:
    """The organisation's active units (the 承办 / 协办 choices), in their order (one query)."""
    if user.organisation_id is None:
        return []
    return list(
        Unit.objects.filter(organisation_id=user.organisation_id, is_active=True)
        .exclude(kind=UnitKind.LEADERSHIP)
        .order_by("sort_order", "code")
    )


def org_leaders(user: Person) -> list[Person]:
    """The organisation's leaders (the ``leader`` role or the 领导班子), one query."""
    if user.organisation_id is None:
        return []
    return list(
        Person.objects.filter(organisation_id=user.organisation_id, is_active=True)
        .filter(
            Q(groups__name=LEADER)
            | Q(
                memberships__unit__kind=UnitKind.LEADERSHIP,
                memberships__unit__is_active=True,
            )
        )
        .distinct()
        .order_by("username")
    )


def local_due(moment: Any) -> str:
    return local_minute(moment) if moment else ""


@dataclass(frozen=True)
class InstructionRow:
    instruction: Instruction
    notice: Notice
    url: str
    proposed_by: str
    proposed_at: str
    lead_unit: str
    on_behalf: str = ""  # the leader's name when the person is their delegate (代理)


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    notice: Notice
    url: str
    due: str
    overdue: bool
    state: str
    role: str


# What an InstructionRow and the inbox template read (a column left out would cost a statement
# per row: the tests count the page's statements); the proposal text is the widest.
_NAME = ("username", "display_name", "first_name", "last_name")
INSTRUCTION_ROW_COLUMNS = (
    "id",
    "state",
    "leader_id",
    "case_id",
    *(f"leader__{column}" for column in _NAME),
    "case__id",
    "case__state",
    "case__notice_id",
    "case__proposal",
    "case__proposed_at",
    "case__proposed_by_id",
    "case__lead_unit_id",
    *(f"case__proposed_by__{column}" for column in _NAME),
    "case__lead_unit__name",
    "case__notice__state",
    "case__notice__title",
    "case__notice__doc_number",
    "case__notice__urgency",
)


def inbox_rows(user: Person) -> tuple[list[InstructionRow], int, list[AssignmentRow], int]:
    """The person's 待批示 and 承办 items (two statements, each with its count in a window)."""
    now = timezone.now()
    instructions = list(
        handling_common.pending_instructions(user)
        .select_related("leader")
        .only(*INSTRUCTION_ROW_COLUMNS)[: INBOX_SHOWN + 1]
    )
    assignments = list(handling_common.pending_assignments(user)[: INBOX_SHOWN + 1])
    states = dict(AssignmentState.choices)
    roles = dict(AssignmentRole.choices)
    return (
        [
            InstructionRow(
                instruction=item,
                notice=item.case.notice,
                url=f"/handling/instructions/{item.pk}/",
                proposed_by=item.case.proposed_by.name,
                proposed_at=local_minute(item.case.proposed_at),
                lead_unit=item.case.lead_unit.name,
                on_behalf=item.leader.name if item.leader_id != user.pk else "",
            )
            for item in instructions[:INBOX_SHOWN]
        ],
        len(instructions),
        [
            AssignmentRow(
                assignment=item,
                notice=item.case.notice,
                url=f"/handling/assignments/{item.pk}/",
                due=local_minute(item.due_at),
                overdue=item.due_at < now,
                state=str(states.get(item.state, item.state)),
                role=str(roles.get(item.role, item.role)),
            )
            for item in assignments[:INBOX_SHOWN]
        ],
        len(assignments),
    )


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """批办: the leader's 待批示 first (one tap each), then the 承办 of their units."""
    user = signed_in(request)
    instructions, instruction_count, assignments, assignment_count = inbox_rows(user)
    return render(
        request,
        "web/handling/inbox.html",
        {
            "instructions": instructions,
            "more_instructions": instruction_count > INBOX_SHOWN,
            "assignments": assignments,
            "more_assignments": assignment_count > INBOX_SHOWN,
            "shown": INBOX_SHOWN,
            "t": translated(ROW_TEXT),
        },
    )


def _may_pick_people(user: Person) -> bool:
    return may_propose(user) or handling_common.is_leader(user)


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """People by name, username or pinyin initials, for the readers of a 拟办 or a 批示 (the
    forward page's search, with the field's name): clerks and leaders only."""
    user = signed_in(request)
    if not _may_pick_people(user):
        raise Http404
    field = request.GET.get("field", "readers")
    if field not in {"readers"}:
        field = "readers"
    term = request.GET.get("q", "").strip().lower()[:50]
    found: list[dict[str, Any]] = []
    if term and user.organisation_id is not None:
        rows = (
            Person.objects.filter(organisation_id=user.organisation_id, is_active=True)
            .order_by("username")
            .values("username", "display_name")
        )
        for row in rows:
            name = row["display_name"] or ""
            if (
                term in name.lower()
                or term in row["username"].lower()
                or (term.isascii() and initials(name).startswith(term))
            ):
                found.append(dict(row))
                if len(found) > PEOPLE_RESULTS:
                    break
    return render(
        request,
        "web/handling/_people.html",
        {
            "term": term,
            "field": field,
            "people": found[:PEOPLE_RESULTS],
            "more": len(found) > PEOPLE_RESULTS,
        },
    )


@dataclass(frozen=True)
class NoticeSection:
    """What the notice page shows of a 批办 notice's case, with the links the person may use."""

    case: HandlingCase | None
    propose_url: str
    reply_url: str
    my_instruction_url: str
    my_assignment_urls: list[tuple[str, str]]
    instructions: list[Instruction]
    assignments: list[Assignment]
    waiting_on: str


def notice_section(user: Person, notice: Notice) -> NoticeSection | None:
    """The 批办 section of the notice page (None for a 阅知 notice): three statements at most."""
    if notice.handling != Handling.ACTION:
        return None
    case = (
        HandlingCase.objects.select_related("lead_unit", "proposed_by")
        .prefetch_related(
            Prefetch(
                "instructions",
                Instruction.objects.select_related("leader").order_by("pk"),
            ),
            Prefetch(
                "assignments",
                Assignment.objects.select_related("unit").order_by("-role", "pk"),
            ),
        )
        .filter(notice_id=notice.pk)
        .first()
    )
    if case is None:
        return NoticeSection(
            case=None,
            propose_url=f"/notices/{notice.pk}/handling/propose/" if may_propose(user) else "",
            reply_url="",
            my_instruction_url="",
            my_assignment_urls=[],
            instructions=[],
            assignments=[],
            waiting_on=str(_waiting_labels()["propose"]),
        )
    case.notice = notice  # the page's notice, not read again
    instructions = list(case.instructions.all())
    assignments = list(case.assignments.all())
    mine = [
        i for i in instructions if i.leader_id == user.pk and i.state == InstructionState.PENDING
    ]
    unit_ids = handling_common.unit_ids_of(user) if assignments else set()
    return NoticeSection(
        case=case,
        propose_url="",
        reply_url=(
            f"/notices/{notice.pk}/handling/reply/"
            if may_reply(user) and case.state != HandlingState.PROPOSED
            else ""
        ),
        my_instruction_url=f"/handling/instructions/{mine[0].pk}/" if mine else "",
        my_assignment_urls=[
            (f"/handling/assignments/{a.pk}/", a.unit.name)
            for a in assignments
            if a.unit_id in unit_ids
        ],
        instructions=instructions,
        assignments=assignments,
        waiting_on=waiting_on(case, instructions, assignments),
    )


def _waiting_labels() -> dict[str, Any]:
    return {
        "propose": _("待拟办（收发员）"),
        "instruct": _("待 %(names)s 批示"),
        "undertake": _("待 %(units)s 承办"),
        "reply": _("待登记答复（收发员）"),
        "done": _("已办毕"),
        "readers": _("已办毕，待传阅人员确认"),
        "separator": _("、"),
    }


def waiting_on(
    case: HandlingCase, instructions: list[Instruction], assignments: list[Assignment]
) -> str:
    """On whom the case waits, in words: 待 X、Y 批示 / 待 工业股 承办 / 待登记答复 / 已办毕
    (待传阅人员确认 while the notice circulates). ``case.notice`` is read along (no query)."""
    text = _waiting_labels()
    sep = text["separator"]
    if case.state == HandlingState.PROPOSED:
        names = sep.join(i.leader.name for i in instructions if i.state == InstructionState.PENDING)
        return str(text["instruct"] % {"names": names})
    if case.state == HandlingState.UNDERTAKING:
        units = sep.join(a.unit.name for a in assignments if a.state != AssignmentState.RESULTED)
        return str(text["undertake"] % {"units": units})
    if case.state == HandlingState.RESULTED:
        return str(text["reply"])
    if case.notice.state == NoticeState.CIRCULATING:  # the readers' 阅知 are still open
        return str(text["readers"])
    return str(text["done"])


def calendar_note(note: str) -> str:
    return note_in_language(note)


def handling_landing(user: Person, notice_id: int) -> str:
    """Where a person who may not see the notice itself but is part of its 批办 lands: their
    批示 page (a named leader or their delegate now, the pending one first) or their unit's
    承办 page; "" if neither (two statements at most, on the notice page's 404 path only)."""
    instruction = (
        Instruction.objects.filter(handled_by(user, "leader_id"), case__notice_id=notice_id)
        .order_by("-state", "pk")  # pending before given
        .values_list("pk", flat=True)
        .first()
    )
    if instruction is not None:
        return f"/handling/instructions/{instruction}/"
    assignment = (
        Assignment.objects.filter(case__notice_id=notice_id)
        .filter(Q(unit__memberships__person=user) | Q(unit__head=user))
        .order_by("-role", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"/handling/assignments/{assignment}/" if assignment is not None else ""
