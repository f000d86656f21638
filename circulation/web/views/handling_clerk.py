"""The clerk's 批办 pages: the 拟办 form (``/notices/<id>/handling/propose/``), the 答复 form
(``/notices/<id>/handling/reply/``) and the 批办看板 (``/board/handling/``: which 批办 notices
wait on whom — 拟办, 批示 by X, the 承办 unit, 答复).

Over ``workflows.services.proposing.propose_handling`` and ``replying.record_reply`` (their
permissions: ``records.propose_handling`` / ``records.record_reply``, else 403 as in the API);
the errors are shown at their fields in the page's language. The board is four statements for
any number of notices (asserted in tests/web/test_handling_pages.py).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from circulation.records.errors import DomainError, InvalidInput
from circulation.records.models import (
    Assignment,
    Handling,
    HandlingCase,
    HandlingFile,
    Instruction,
    Notice,
    Person,
    Reply,
    ReplyChannel,
)
from circulation.records.selectors import visible_notices
from circulation.web.views import handling as common
from workflows.machines import HandlingState, NoticeState
from workflows.services import proposing, replying
from workflows.services.forwarding import MAX_WORKING_DAYS

PROPOSAL_FIELDS = (
    *("text", "lead_unit", "units", "co_units", "people", "readers", "leaders"),
    "due_working_days",
)
REPLY_FIELDS = ("text", "replied_on", "channel")
BOARD_SHOWN = 200


def _notice(user: Person, pk: int) -> Notice:
    notice = visible_notices(user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def _days(text: str) -> int:
    try:
        return int(text.strip() or proposing.DEFAULT_WORKING_DAYS)
    except ValueError:
        raise InvalidInput(
            f"承办时限须在 1 到 {MAX_WORKING_DAYS} 个工作日之间",
            f"due_working_days must be between 1 and {MAX_WORKING_DAYS}",
            code="out_of_range",
            field="due_working_days",
        ) from None


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """拟办: the 拟办意见, the proposed 承办 and 协办 units, the readers and the leaders."""
    user = common.signed_in(request)
    if not common.may_propose(user):
        raise PermissionDenied
    notice = _notice(user, pk)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        post = request.POST
        try:
            proposing.propose_handling(
                common.web_actor(request),
                notice.pk,
                proposing.ProposalInput(
                    text=post.get("text", ""),
                    lead_unit=post.get("lead_unit", ""),
                    leaders=post.getlist("leaders"),
                    co_units=[c for c in post.getlist("co_units") if c != post.get("lead_unit")],
                    readers=[name for name in post.getlist("readers") if name.strip()],
                    due_working_days=_days(post.get("due_working_days", "")),
                    reply_expected=post.get("reply_expected") == "1",
                    skip_agree_notice=post.get("skip_agree_notice") == "1",
                ),
            )
        except DomainError as error:
            common.not_visible_as_404(error)
            status = error.status
            field = common.error_field(error, PROPOSAL_FIELDS)
            field = {"units": "lead_unit", "people": "readers"}.get(field, field)
            errors[field] = common.in_language(error)
        else:
            messages.success(request, _("拟办意见已送领导批示。"))
            return HttpResponseRedirect(f"/notices/{notice.pk}/", status=303)
    posted = request.POST if request.method == "POST" else None
    reader_names = [n for n in posted.getlist("readers") if n.strip()] if posted else []
    return render(
        request,
        "web/handling/propose.html",
        {
            "notice": notice,
            "action": notice.handling == Handling.ACTION,
            "has_case": HandlingCase.objects.filter(notice_id=notice.pk).exists(),
            "units": common.org_units(user),
            "leaders": common.org_leaders(user),
            "posted": posted,
            "chosen_co": set(posted.getlist("co_units")) if posted else set(),
            "chosen_leaders": set(posted.getlist("leaders")) if posted else set(),
            "chosen_readers": list(
                Person.objects.filter(
                    organisation_id=user.organisation_id, username__in=reader_names[:200]
                ).order_by("username")
            )
            if reader_names and user.organisation_id is not None
            else [],
            "errors": errors,
            "default_days": proposing.DEFAULT_WORKING_DAYS,
            "max_days": MAX_WORKING_DAYS,
        },
        status=status,
    )


def _replied_on(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "答复日期格式不正确，应为 年-月-日",
            "replied_on must be written as YYYY-MM-DD",
            code="invalid",
            field="replied_on",
        ) from None


@login_required
@require_http_methods(["GET", "POST"])
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """答复: the reply sent to the issuing organisation — text, date and channel."""
    user = common.signed_in(request)
    if not common.may_reply(user):
        raise PermissionDenied
    notice = _notice(user, pk)
    case = (
        HandlingCase.objects.filter(notice_id=notice.pk)
        .prefetch_related(
            Prefetch("replies", Reply.objects.order_by("recorded_at", "pk")),
            Prefetch("replies__attachments", HandlingFile.objects.order_by("pk")),
        )
        .first()
    )
    if case is None:
        raise Http404
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        post = request.POST
        try:
            replying.record_reply(
                common.web_actor(request),
                notice.pk,
                replying.ReplyInput(
                    text=post.get("text", ""),
                    replied_on=_replied_on(post.get("replied_on", "")),
                    channel=post.get("channel", ""),
                ),
            )
        except DomainError as error:
            common.not_visible_as_404(error)
            status = error.status
            errors[common.error_field(error, REPLY_FIELDS)] = common.in_language(error)
        else:
            messages.success(request, _("答复已登记。"))
            # back here: the reply's files are added below it
            return HttpResponseRedirect(f"/notices/{notice.pk}/handling/reply/", status=303)
    replies = list(case.replies.all())
    return render(
        request,
        "web/handling/reply.html",
        {
            "notice": notice,
            "case": case,
            "replies": replies,
            "upload_url": f"/api/v1/handling/replies/{replies[-1].pk}/files/" if replies else "",
            "upload_label": _("选择答复附件"),
            "proposed": case.state == HandlingState.PROPOSED,
            "channels": ReplyChannel.choices,
            "posted": request.POST if request.method == "POST" else None,
            "today": timezone.localdate().isoformat(),
            "errors": errors,
        },
        status=status,
    )


@dataclass(frozen=True)
class BoardRow:
    notice: Notice
    stage: str  # propose / instruct / undertake / reply / done
    waiting_on: str
    proposal: str
    due: str
    overdue: bool


def _board_notices(user: Person) -> QuerySet[Notice]:
    """The open 批办 notices (not 办结 nor closed), oldest first, with their cases' parts."""
    return (
        visible_notices(user)
        .filter(
            handling=Handling.ACTION,
            state__in=(NoticeState.REGISTERED, NoticeState.CIRCULATING),
        )
        .select_related("handling_case")
        .prefetch_related(
            Prefetch(
                "handling_case__instructions",
                Instruction.objects.select_related("leader").order_by("pk"),
            ),
            Prefetch(
                "handling_case__assignments",
                Assignment.objects.select_related("unit").order_by("-role", "pk"),
            ),
        )
        .order_by("received_at", "pk")
    )


def board_rows(user: Person) -> tuple[list[BoardRow], int]:
    now = timezone.now()
    notices = list(_board_notices(user)[: BOARD_SHOWN + 1])
    rows = []
    propose_text = _("待拟办（收发员）")
    for notice in notices[:BOARD_SHOWN]:
        case = getattr(notice, "handling_case", None)
        if case is None:
            rows.append(BoardRow(notice, "propose", str(propose_text), "", "", False))
            continue
        instructions = list(case.instructions.all())
        assignments = list(case.assignments.all())
        open_dues = [a.due_at for a in assignments if a.state != "resulted"]
        due = min(open_dues) if open_dues else None
        rows.append(
            BoardRow(
                notice=notice,
                stage={
                    HandlingState.PROPOSED: "instruct",
                    HandlingState.UNDERTAKING: "undertake",
                    HandlingState.RESULTED: "reply",
                }.get(case.state, "done"),
                waiting_on=common.waiting_on(case, instructions, assignments),
                proposal=case.proposal,
                due=common.local_due(due),
                overdue=due is not None and due < now,
            )
        )
    return rows, len(notices)


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    """批办看板: the clerk's open 批办 notices and on whom each waits."""
    user = common.signed_in(request)
    if not (common.may_propose(user) or common.may_reply(user)):
        raise Http404
    rows, count = board_rows(user)
    stages: dict[str, Any] = {
        "propose": _("拟办"),
        "instruct": _("批示"),
        "undertake": _("承办"),
        "reply": _("答复"),
    }
    return render(
        request,
        "web/handling/board.html",
        {
            "rows": rows,
            "more": count > BOARD_SHOWN,
            "shown": BOARD_SHOWN,
            "counts": [
                (key, label, sum(1 for row in rows if row.stage == key))
                for key, label in stages.items()
            ],
        },
    )
