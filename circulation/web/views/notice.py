"""收文页 ``/notices/<id>/``: where every reminder and notification link lands, for every role.

The same visibility as ``GET /api/v1/notices/{id}/`` (``visible_notices``; 404 for anyone
else, also of another organisation) and the same cut as the API's roster
(``…/acknowledgements/``): the clerks, archivists and administrators (``sees_all_notices``) and
the organisation's leaders (who read the whole 阅知确认单, ``may_read_whole_record``) see every
recipient, the returns, the history and the record; a unit head sees their unit's recipients; a
recipient sees the notice, its attachments and their own acknowledgement.

Queries do not grow with the recipients: the counts are one aggregate per unit (the notice's
progress is their sum), the roster and the history are cut to a page. What the roster, the unit
table and the timeline print on every row is prepared here once (circulation/web/rowtext.py), so
the template prints variables only (docs/benchmarks.md, web pages).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from circulation.ackrecord.access import may_read_whole_record
from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError
from circulation.records.models import (
    Acknowledgement,
    AuditAction,
    AuditEvent,
    ConfirmMethod,
    Notice,
    Person,
)
from circulation.records.selectors import (
    PROGRESS_KEYS,
    headed_unit_ids,
    progress_by_unit,
    sees_all_notices,
    visible_notices,
)
from circulation.web.rowtext import local_iso, local_minute, translated
from circulation.web.views.board import error_text
from circulation.web.views.handling import handling_landing, notice_section
from workflows.machines import ACK_OPEN_STATES, AckState, NoticeState
from workflows.services.recalling import recall_recipient

# 30 a page and the latest 30 events (p95 < 50 ms at 1,000 recipients, docs/benchmarks.md):
# every row costs template time; the tabs, the unit links and the pager reach the rest.
ROSTER_PAGE = 30
HISTORY_SHOWN = 30
# The roster's views: who still has to act is what a clerk opens the page for.
WHO = {
    "open": (_("未确认"), ACK_OPEN_STATES),
    "returned": (_("已退回"), (AckState.RETURNED,)),
    "confirmed": (_("已确认"), (AckState.CONFIRMED,)),
    "all": (_("全部"), None),
}


# Translated once per request: the labels every row repeats and the messages rows fill in.
ROW_TEXT = {
    "unit": _("机构"),
    "state": _("状态"),
    "opened": _("首次打开"),
    "confirmed_at": _("确认时间"),
    "reminders": _("催办次数"),
    "return_reason": _("退回原因"),
    "overdue": _("逾期"),
    "progress": _("进度"),
    "open": _("未确认"),
    "returned": _("退回"),
    "none": _("无"),
    "no_unit": _("未分机构"),
    "system": _("系统"),
    "unit_progress": _("%(name)s 的阅知进度"),
    "late_people": _("逾期 %(n)s 人"),
    "actions": _("操作"),
    "recall": _("撤回"),
    "reason": _("撤回原因"),
    "confirm_recall": _("确认撤回"),
}
NONE = "—"


class RecallForm(forms.Form):
    """撤回 of one recipient (POST): whose acknowledgement (its id: the page shows names, not
    usernames), and why (the service cleans and bounds the reason)."""

    ack = forms.IntegerField(min_value=1)
    reason = forms.CharField(
        label=_("撤回原因"),
        max_length=500,
        strip=False,
        error_messages={"required": _("请填写撤回原因")},
    )


@dataclass(frozen=True)
class RecallState:
    """A refused 撤回 shown again at its recipient's row: the reason typed and the errors."""

    ack_id: int
    reason: str
    errors: list[str]


@dataclass(frozen=True)
class RosterRow:
    """One recipient as the roster prints them."""

    name: str
    unit: str
    state: str
    overdue: bool
    opened: str
    confirmed: str
    reminders: int
    return_reason: str
    ack_id: int = 0
    open: bool = False  # may be recalled (撤回) by one who may withdraw
    recall_reason: str = ""
    recall_errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitRow:
    """One unit's line of the progress table."""

    name: str
    total: int
    confirmed: int
    open: int
    returned: int
    overdue: int
    label: str  # the progress bar's accessible name
    overdue_text: str  # 逾期 n 人, empty when nobody is late


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEvent
    label: str
    detail: str
    at_iso: str = ""
    at_text: str = ""
    actor: str = ""


def _person(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person) or not user.is_active:  # login_required runs first
        raise Http404
    return user


def _roster(notice: Notice, unit_ids: list[int] | None, who: str) -> QuerySet[Acknowledgement]:
    rows = Acknowledgement.objects.filter(notice=notice)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    states = WHO[who][1]
    if states is not None:
        rows = rows.filter(state__in=states)
    return (
        rows.select_related("person", "unit")
        .only(
            "id",
            "state",
            "due_at",
            "opened_at",
            "confirmed_at",
            "returned_at",
            "return_reason",
            "reminders_sent",
            "escalations",
            "person__username",
            "person__display_name",
            "unit__name",
        )
        .order_by("unit__sort_order", "unit__code", "person__username", "pk")
    )


def _events_in_all(notice: Notice) -> QuerySet[Any, Any]:
    return (
        AuditEvent.objects.filter(notice=notice)
        .order_by()
        .values("notice")
        .annotate(n=Count("id"))
        .values("n")
    )


def _timeline(
    notice: Notice, text: dict[str, str] | None = None
) -> tuple[list[TimelineEntry], int]:
    """The latest events first (at most ``HISTORY_SHOWN``) and how many there are in all."""
    system = (text or translated(ROW_TEXT))["system"]
    latest = list(
        AuditEvent.objects.filter(notice=notice)
        .select_related("actor")
        .only("id", "seq", "at", "action", "data", "actor_username", "actor__display_name")
        # how many there are in all, in the same query: an uncorrelated subquery, counted once
        # from the notice index (a window would read every event's data before the LIMIT)
        .annotate(events_in_all=Subquery(_events_in_all(notice)))
        .order_by("-seq")[:HISTORY_SHOWN]
    )
    total = latest[0].events_in_all if latest else 0
    return [
        TimelineEntry(
            event=e,
            label=AuditAction.label_of(e.action),
            detail=_detail(e),
            at_iso=local_iso(e.at),
            at_text=local_minute(e.at),
            actor=_actor_text(e, (e.actor.display_name if e.actor else "") or e.actor_username)
            or system,
        )
        for e in latest
    ], total


def _roster_rows(acks: Any, now: datetime, recall: RecallState | None = None) -> list[RosterRow]:
    states = translated(dict(AckState.choices))
    return [
        RosterRow(
            ack_id=ack.pk,
            open=ack.state in ACK_OPEN_STATES,
            recall_reason=recall.reason if recall and recall.ack_id == ack.pk else "",
            recall_errors=tuple(recall.errors) if recall and recall.ack_id == ack.pk else (),
            name=ack.person.display_name or ack.person.username,
            unit=ack.unit.name if ack.unit else NONE,
            state=states.get(ack.state, ack.state),
            overdue=_late(ack.state, ack.due_at, now),
            opened=local_minute(ack.opened_at) or NONE,
            confirmed=local_minute(ack.confirmed_at) or NONE,
            reminders=ack.reminders_sent,
            return_reason=ack.return_reason or NONE,
        )
        for ack in acks
    ]


def _unit_rows(by_unit: list[dict[str, Any]], text: dict[str, str]) -> list[UnitRow]:
    rows = []
    for unit in by_unit:
        name = unit["unit_name"] or text["no_unit"]
        late = unit["overdue"]
        rows.append(
            UnitRow(
                name=name,
                total=unit["total"],
                confirmed=unit["confirmed"],
                open=unit["pending"] + unit["read"],
                returned=unit["returned"],
                overdue=late,
                label=text["unit_progress"] % {"name": name},
                overdue_text=text["late_people"] % {"n": late} if late else "",
            )
        )
    return rows


def _actor_text(event: AuditEvent, name: str) -> str:
    """Who acted: "X 代 Y" when a delegate acted for someone (代理, the event's on_behalf_of)."""
    data = event.data if isinstance(event.data, dict) else {}
    principal = data.get("on_behalf_of_name") or data.get("on_behalf_of")
    return f"{name} 代 {principal}" if name and principal else name


def _detail(event: AuditEvent) -> str:
    """One line of what matters in the event's data (a reason, a count), never raw JSON."""
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("reason"):
        return str(_("原因：%(reason)s") % {"reason": data["reason"]})
    if event.action == AuditAction.NOTICE_REMINDED and "recipients" in data:
        return str(_("催办 %(count)s 人") % {"count": data["recipients"]})
    if event.action == AuditAction.NOTICE_FORWARDED and "recipients_added" in data:
        return str(_("新增接收人 %(count)s 人") % {"count": data["recipients_added"]})
    return ""


@login_required
@require_safe
def notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _person(request)
    notice = visible_notices(user).select_related("received_by").filter(pk=pk).first()
    if notice is None:
        # a named leader or a 承办 unit's person who is no recipient: their 批办 page (the
        # links of the 批办 notifications land here)
        landing = handling_landing(user, pk)
        if landing:
            return HttpResponseRedirect(landing)
        raise Http404
    return _render_page(request, user, notice)


def may_recall(user: Person, notice: Notice) -> bool:
    """撤回 of one recipient: those who may withdraw notices, while the notice circulates."""
    return notice.state == NoticeState.CIRCULATING and user.has_perm("records.withdraw_notice")


@login_required
@require_POST
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    """撤回 one open recipient with a reason (``recall_recipient``, audited as ``ack.recalled``).

    Success: back to the notice page (or, with htmx, its roster in place) with a message; a
    refusal (no reason, already answered: 409) is shown at the recipient's row — with htmx as a
    200, since htmx swaps only 2xx answers; without it with the service's status."""
    user = _person(request)
    notice = visible_notices(user).filter(pk=pk).only("id").first()
    if notice is None:
        raise Http404
    if not user.has_perm("records.withdraw_notice"):
        raise PermissionDenied
    form = RecallForm(request.POST)
    status, errors, done = 200, [], ""
    if form.is_valid():
        actor = Actor(user=user, ip=client_ip(request), method=ConfirmMethod.SESSION)
        username = (
            Acknowledgement.objects.filter(pk=form.cleaned_data["ack"], notice_id=pk)
            .values_list("person__username", flat=True)
            .first()
        )
        try:
            ack = recall_recipient(actor, pk, username or "", form.cleaned_data["reason"])
        except DomainError as exc:
            status, errors = exc.status, [error_text(exc)]
        else:
            name = ack.person.display_name or ack.person.username
            done = str(_("已撤回 %(name)s 的阅知，其收件箱中不再列出。") % {"name": name})
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, done)
                return HttpResponseRedirect(f"/notices/{pk}/#roster")
    else:
        status = 400
        errors = [str(e) for field in ("ack", "reason") for e in form.errors.get(field, [])]
    ack_id = form.cleaned_data.get("ack") if hasattr(form, "cleaned_data") else None
    refused = (
        RecallState(
            ack_id=ack_id or 0, reason=str(request.POST.get("reason", ""))[:500], errors=errors
        )
        if status >= 400
        else None
    )
    page = visible_notices(user).select_related("received_by").get(pk=pk)
    answer = _render_page(request, user, page, recall=refused, who="open", done=done)
    if not request.htmx:  # type: ignore[attr-defined]
        answer.status_code = status
    return answer


def _render_page(
    request: HttpRequest,
    user: Person,
    notice: Notice,
    recall: RecallState | None = None,
    who: str | None = None,
    done: str = "",
) -> HttpResponse:
    whole = sees_all_notices(user) or may_read_whole_record(user, notice)
    headed = [] if whole else headed_unit_ids(user)
    unit_ids = None if whole else headed
    now = timezone.now()
    text = translated(ROW_TEXT)
    context: dict[str, Any] = {
        "notice": notice,
        "whole": whole,
        "t": text,
        "attachments": list(notice.attachments.order_by("id")),
        "mine": Acknowledgement.objects.filter(notice=notice, person=user)
        .only("id", "state", "due_at", "opened_at", "confirmed_at", "returned_at")
        .first(),
        "now": now,
        "overdue_mine": False,
        "handling": notice_section(user, notice),  # None for a 阅知 notice (no query)
    }
    mine = context["mine"]
    if mine is not None:
        context["overdue_mine"] = _late(mine.state, mine.due_at, now)
    if whole or headed:
        by_unit = progress_by_unit(notice)
        # the notice's progress is the sum of its units' (those without a unit are a row too)
        context["progress"] = {key: sum(row[key] for row in by_unit) for key in PROGRESS_KEYS}
        if not whole:
            by_unit = [row for row in by_unit if row["unit_id"] in headed]
        who = who or request.GET.get("who", "open")
        if who not in WHO:
            who = "open"
        page = Paginator(_roster(notice, unit_ids, who), ROSTER_PAGE).get_page(
            request.GET.get("page")
        )
        context |= {
            "by_unit": _unit_rows(by_unit, text),
            "who": who,
            "who_choices": [(key, label) for key, (label, _states) in WHO.items()],
            "roster_page": page,
            "roster": _roster_rows(page.object_list, now, recall),
            "may_recall": whole and may_recall(user, notice),
            "recall_done": done,
        }
        if recall is not None and not any(row.recall_errors for row in context["roster"]):
            context["recall_errors"] = recall.errors  # a recipient not on this page
    if whole:
        timeline, total = _timeline(notice, text)
        context |= {"timeline": timeline, "timeline_total": total}
    return render(request, "web/notice/notice.html", context)


def _late(state: str, due_at: datetime | None, now: datetime) -> bool:
    return state in ACK_OPEN_STATES and due_at is not None and due_at < now
