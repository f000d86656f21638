"""批示 page ``/handling/instructions/<id>/`` (phone first, 375 px): the notice's essentials,
the 拟办意见, one big "同意拟办意见" button, a 批示 text box and 圈阅; changing the 承办 unit,
the 协办 units or the readers is a disclosure below.

Over ``workflows.services.instructing.give_instruction``: only the named leader; anyone else gets
what the API answers (404, or 403 for those who see every notice). Only what the leader changed
is sent (the service refuses changes with 同意 / 圈阅, with its bilingual message at the field).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from circulation.records.actors import Actor
from circulation.records.errors import DomainError
from circulation.records.models import Instruction, InstructionKind, Person
from circulation.records.selectors import sees_all_notices
from circulation.web.views import handling as common
from workflows.machines import InstructionState
from workflows.services import handling_common, instructing

FIELDS = ("kind", "text", "lead_unit", "co_units", "readers")


def _instruction(user: Person, instruction_id: int) -> Instruction:
    """The leader's own instruction; someone else's: 403 for those who see every notice (as
    ``give_instruction`` answers), 404 for anyone else."""
    if user.organisation_id is None:
        raise Http404
    instruction = (
        Instruction.objects.select_related(
            "case__notice", "case__proposed_by", "case__lead_unit", "leader"
        )
        .filter(pk=instruction_id, case__notice__organisation_id=user.organisation_id)
        .first()
    )
    if instruction is None:
        raise Http404
    # the leader, or their delegate now (代理): the service's own rule, as the API asks it
    if not handling_common.acts_as(Actor(user), instruction.leader_id):
        if sees_all_notices(user):
            raise PermissionDenied
        raise Http404
    return instruction


def _changes(post: Any, proposal: tuple[str, set[str], set[str]]) -> dict[str, Any]:
    """Only what the leader changed in the disclosure (None: unchanged)."""
    lead, co, readers = proposal
    posted_lead = post.get("lead_unit", lead) or lead
    posted_co = {code for code in post.getlist("co_units") if code}
    posted_readers = {name for name in post.getlist("readers") if name.strip()}
    if post.get("changes_shown") != "1":  # the disclosure was never part of the form
        return {"lead_unit": None, "co_units": None, "readers": None}
    return {
        "lead_unit": posted_lead if posted_lead != lead else None,
        "co_units": sorted(posted_co) if posted_co != co else None,
        "readers": sorted(posted_readers) if posted_readers != readers else None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def instruction_page(request: HttpRequest, instruction_id: int) -> HttpResponse:
    user = common.signed_in(request)
    instruction = _instruction(user, instruction_id)
    case = instruction.case
    notice = case.notice
    lead, co_units, readers = instructing.decided(case)
    current = (lead.code, {u.code for u in co_units}, {p.username for p in readers})
    errors: dict[str, str] = {}
    posted: Any = None
    status = 200
    if request.method == "POST" and instruction.state == InstructionState.PENDING:
        posted = request.POST
        kind = request.POST.get("kind", "")
        try:
            instructing.give_instruction(
                common.web_actor(request),
                instruction.pk,
                instructing.InstructionInput(
                    kind=kind,
                    text=request.POST.get("text", ""),
                    **_changes(request.POST, current),
                ),
            )
        except DomainError as error:
            common.not_visible_as_404(error)
            status = error.status
            errors[common.error_field(error, FIELDS)] = common.in_language(error)
        else:
            done: str = {
                InstructionKind.AGREE.value: _("已同意拟办意见：%(title)s"),
                InstructionKind.CIRCLE.value: _("已圈阅：%(title)s"),
            }.get(kind, _("已批示：%(title)s"))
            messages.success(request, done % {"title": notice.title})
            return HttpResponseRedirect("/handling/", status=303)
    others = list(
        case.instructions.exclude(pk=instruction.pk)
        .filter(state=InstructionState.GIVEN)
        .select_related("leader")
        .order_by("given_at", "pk")
    )
    units = common.org_units(user)
    # the units chosen now stay choices even if the list leaves them out (领导班子, inactive):
    # else the form would post them as removed and an agreement would read as a change
    listed = {unit.pk for unit in units}
    units += [unit for unit in (lead, *co_units) if unit.pk not in listed]
    chosen_co = set(posted.getlist("co_units")) if posted else current[1]
    chosen_lead = posted.get("lead_unit", current[0]) if posted else current[0]
    reader_names = set(posted.getlist("readers")) if posted else current[2]
    return render(
        request,
        "web/handling/instruction.html",
        {
            "instruction": instruction,
            "case": case,
            "notice": notice,
            "attachments": list(notice.attachments.order_by("id").only("id", "original_name")),
            "lead": lead,
            "co_units": co_units,
            "readers": readers,
            "others": others,
            "units": units,
            "chosen_lead": chosen_lead,
            "chosen_co": chosen_co,
            "chosen_readers": [p for p in readers if p.username in reader_names]
            + _extra_people(user, reader_names - {p.username for p in readers}),
            "errors": errors,
            "posted": posted,
            "pending": instruction.state == InstructionState.PENDING,
            "on_behalf": instruction.leader.name if instruction.leader_id != user.pk else "",
            "open_changes": bool(errors.keys() & {"lead_unit", "co_units", "readers"}),
            "proposed_at": common.local_due(case.proposed_at),
            "given_at": common.local_due(instruction.given_at),
        },
        status=status,
    )


def _extra_people(user: Person, usernames: set[str]) -> list[Person]:
    if not usernames or user.organisation_id is None:
        return []
    return list(
        Person.objects.filter(
            organisation_id=user.organisation_id, username__in=sorted(usernames)[:200]
        ).order_by("username")
    )
