"""承办 page ``/handling/assignments/<id>/``: the 承办 unit (主办) or a 协办 unit sees the notice,
the 拟办意见 and the 批示, its deadline, accepts (接收) and records its 办理结果; the lead unit
also sees the 协办 units' parts.

Over ``workflows.services.undertaking`` (``accept_assignment``, ``record_result``): the unit's head
and members only; anyone else gets what the API answers (404, or 403 for those who see every
notice).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from circulation.records.errors import DomainError
from circulation.records.models import (
    Assignment,
    AssignmentRole,
    HandlingFile,
    Instruction,
    Person,
)
from circulation.records.selectors import sees_all_notices
from circulation.web.views import handling as common
from workflows.machines import AssignmentState, InstructionState
from workflows.services import handling_common, undertaking


def _assignment(user: Person, assignment_id: int) -> Assignment:
    if user.organisation_id is None:
        raise Http404
    assignment = (
        Assignment.objects.select_related(
            "case__notice",
            "case__proposed_by",
            "case__lead_unit",
            "unit",
            "accepted_by",
            "result_by",
        )
        .filter(pk=assignment_id, case__notice__organisation_id=user.organisation_id)
        .first()
    )
    if assignment is None:
        raise Http404
    if assignment.unit_id not in handling_common.unit_ids_of(user):
        if sees_all_notices(user):
            raise PermissionDenied
        raise Http404
    return assignment


@login_required
@require_http_methods(["GET", "POST"])
def assignment_page(request: HttpRequest, assignment_id: int) -> HttpResponse:
    user = common.signed_in(request)
    assignment = _assignment(user, assignment_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "accept":
                undertaking.accept_assignment(common.web_actor(request), assignment.pk)
                messages.success(request, _("已接收，请按时限办理。"))
            else:
                undertaking.record_result(
                    common.web_actor(request), assignment.pk, request.POST.get("text", "")
                )
                messages.success(request, _("办理结果已登记。"))
        except DomainError as error:
            common.not_visible_as_404(error)
            status = error.status
            errors[common.error_field(error, ("text",))] = common.in_language(error)
        else:
            return HttpResponseRedirect(f"/handling/assignments/{assignment.pk}/", status=303)
    case = assignment.case
    notice = case.notice
    parts = list(
        case.assignments.exclude(pk=assignment.pk)
        .select_related("unit")
        .prefetch_related(Prefetch("attachments", HandlingFile.objects.order_by("pk")))
        .order_by("-role", "pk")
    )
    instructions = list(
        Instruction.objects.filter(case=case, state=InstructionState.GIVEN)
        .select_related("leader")
        .order_by("given_at", "pk")
    )
    return render(
        request,
        "web/handling/assignment.html",
        {
            "assignment": assignment,
            "case": case,
            "notice": notice,
            "lead": assignment.role == AssignmentRole.LEAD,
            "parts": parts,
            "instructions": instructions,
            "attachments": list(notice.attachments.order_by("id").only("id", "original_name")),
            "files": list(assignment.attachments.order_by("pk")),
            "upload_url": f"/api/v1/handling/assignments/{assignment.pk}/files/",
            "upload_label": _("选择办理结果附件"),
            "due": common.local_due(assignment.due_at),
            "overdue": assignment.state != AssignmentState.RESULTED
            and assignment.due_at < timezone.now(),
            "calendar_note": common.calendar_note(assignment.calendar_note),
            "assigned": assignment.state == AssignmentState.ASSIGNED,
            "resulted": assignment.state == AssignmentState.RESULTED,
            "errors": errors,
            "posted": request.POST if errors else None,
        },
        status=status,
    )
