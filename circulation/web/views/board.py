"""传阅看板 (the clerk's circulation board): every open notice with its progress, filters,
人工催办 and 撤回.

Thin over the services the API uses: ``workflows.services.reminding.remind_notice`` (429 when
repeated too soon, with ``next_allowed_at``) and ``workflows.services.withdrawal.withdraw_notice``;
the page of notices is chosen from ``visible_notices`` alone and the per-unit progress of the page
is one more query (summed into each notice's), so the page costs the same for 10 or 1,000
recipients.
Everything a row prints is prepared once in ``_rows`` (circulation/web/rowtext.py).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError, RateLimited
from circulation.records.models import (
    Acknowledgement,
    ConfirmMethod,
    Notice,
    Person,
    Unit,
    Urgency,
)
from circulation.records.selectors import sees_all_notices, visible_notices
from circulation.web.roles import WebRoles
from circulation.web.rowtext import PkUrl, local_iso, local_minute, translated
from workflows.machines import ACK_OPEN_STATES, AckState, NoticeState
from workflows.models import ManualRemind
from workflows.reminders.policy import policy_for
from workflows.services import reminding, withdrawal

OPEN_STATES = (NoticeState.REGISTERED, NoticeState.CIRCULATING)
# 20 notices a page: every row costs template time (docs/benchmarks.md, web pages); the filters and
# the pager reach the rest.
PAGE_SIZE = 20


class BoardFilter(forms.Form):
    """The board's filters (GET): bad values are a 400 naming the field, never a 500."""

    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("", _("全部未办结")),
            (NoticeState.REGISTERED, _("已登记")),
            (NoticeState.CIRCULATING, _("传阅中")),
        ],
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), required=False, choices=[("", _("全部")), *Urgency.choices]
    )
    unit = forms.ChoiceField(label=_("接收机构"), required=False)
    overdue = forms.BooleanField(label=_("只看有逾期的"), required=False)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)  # noqa: S101 - declared above
        unit_field.choices = [("", _("全部")), *((u.code, u.name) for u in units)]


@dataclass(frozen=True)
class FilterSelect:
    """One of the filter form's ``<select>``s as the page prints it (Django's widget templates
    render every option through an include: a few milliseconds a page for 28 options)."""

    name: str
    label: str
    options: list[tuple[str, str, bool]]  # value, label, selected
    errors: list[str]


def filter_selects(form: BoardFilter) -> list[FilterSelect]:
    selects = []
    for name in ("state", "urgency", "unit"):
        bound = form[name]
        field = cast("forms.ChoiceField", bound.field)
        choices = cast("list[tuple[object, object]]", field.choices)  # lists, set above
        current = str(bound.value() or "")
        selects.append(
            FilterSelect(
                name=name,
                label=str(bound.label),
                options=[(str(v), str(label), str(v) == current) for v, label in choices],
                errors=[str(error) for error in bound.errors],
            )
        )
    return selects


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤回原因"),
        max_length=500,
        strip=False,  # the service cleans and bounds it, with its own bilingual message
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写撤回原因")},
    )


# Translated once per request (circulation/web/rowtext.py): the labels every row repeats and the
# messages each row fills in.
ROW_TEXT = {
    "state": _("状态"),
    "due": _("办理时限"),
    "progress": _("阅知进度"),
    "overdue": _("逾期"),
    "actions": _("操作"),
    "by_unit": _("按机构查看"),
    "units_table": _("各机构的阅知进度"),
    "not_forwarded": _("尚未传阅"),
    "none": _("无"),
    "remind": _("催办"),
    "withdraw": _("撤回"),
    "reason": _("撤回原因"),
    "confirm_withdraw": _("确认撤回"),
    "view": _("查看"),
    "doc_progress": _("%(doc)s 的阅知进度"),
    "unit_progress": _("%(name)s 的阅知进度"),
    "confirmed_of": _("已确认 %(confirmed)s/%(total)s"),
    "returned_n": _("，退回 %(returned)s"),
    "late_people": _("逾期 %(n)s 人"),
    "next_allowed": _("下次可催办时间 %(time)s"),
    "no_unit": _("未分机构"),
}


@dataclass
class UnitProgress:
    name: str
    total: int
    confirmed: int
    returned: int
    open: int
    overdue: int
    label: str = ""  # the progress bar's accessible name
    overdue_text: str = ""  # 逾期 n 人, empty when nobody is late


@dataclass
class BoardRow:
    """One notice of the board with everything its rows print, prepared in ``_rows``."""

    notice: Notice
    text: dict[str, str]
    units: list[UnitProgress] = field(default_factory=list)
    next_allowed_at: datetime | None = None
    message: str = ""
    error: str = ""
    withdraw_form: WithdrawForm | None = None
    url: str = ""
    units_url: str = ""
    remind_url: str = ""
    withdraw_url: str = ""
    state_label: str = ""
    urgency_label: str = ""  # empty for 平件
    due_iso: str = ""
    due_text: str = ""

    @cached_property
    def progress(self) -> dict[str, int]:
        """The notice's progress: the sum of its units' (every acknowledgement has one row
        there, those without a unit too), so the board counts the page's acknowledgements once."""
        keys = ("total", "confirmed", "returned", "open", "overdue")
        return {key: sum(getattr(unit, key) for unit in self.units) for key in keys}

    @property
    def progress_label(self) -> str:
        return self.text["doc_progress"] % {"doc": self.notice.doc_number}

    @property
    def progress_text(self) -> str:
        progress = self.progress
        text = self.text["confirmed_of"] % progress
        if progress["returned"]:
            text += self.text["returned_n"] % progress
        return text

    @property
    def overdue_text(self) -> str:
        late = self.progress["overdue"]
        return self.text["late_people"] % {"n": late} if late else ""

    @property
    def next_allowed_text(self) -> str:
        if self.next_allowed_at is None:
            return ""
        return self.text["next_allowed"] % {"time": local_minute(self.next_allowed_at)}


def error_text(error: DomainError) -> str:
    """The service's message in the page's language."""
    return error.message_en if translation.get_language() == "en" else error.message


def _clerk(request: HttpRequest) -> Person:
    """The board is the clerks' and the administrators' (they see every notice)."""
    user = request.user
    if not isinstance(user, Person):  # login_required runs first
        raise Http404
    roles = WebRoles.of(user)
    if not (roles.clerk or roles.admin) or not sees_all_notices(user):
        raise PermissionDenied
    return user


def _actor(request: HttpRequest, user: Person) -> Actor:
    return Actor(user=user, ip=client_ip(request), method=ConfirmMethod.SESSION)


def _open_notices(user: Person) -> QuerySet[Notice]:
    last_remind = (
        ManualRemind.objects.filter(notice=OuterRef("pk"), unit__isnull=True)
        .order_by()
        .values("notice")
        .annotate(last=Max("requested_at"))
        .values("last")
    )
    return (
        visible_notices(user)
        .filter(state__in=OPEN_STATES)
        # No progress counts here: counted over every open notice they cost a join of all their
        # acknowledgements before the page is cut (docs/benchmarks.md, web pages); _rows counts
        # the page's.
        .annotate(last_remind_at=Subquery(last_remind))
        .only(
            "id",
            "doc_number",
            "title",
            "state",
            "urgency",
            "due_at",
            "received_at",
            "registration_year",
            "registration_seq",
        )
    )


def _filtered(notices: QuerySet[Notice], data: dict[str, Any]) -> QuerySet[Notice]:
    if data.get("state"):
        notices = notices.filter(state=data["state"])
    if data.get("urgency"):
        notices = notices.filter(urgency=data["urgency"])
    if data.get("unit"):
        notices = notices.filter(
            Exists(Acknowledgement.objects.filter(notice=OuterRef("pk"), unit__code=data["unit"]))
        )
    if data.get("overdue"):
        overdue = Acknowledgement.objects.filter(
            notice=OuterRef("pk"), state__in=ACK_OPEN_STATES, due_at__lt=timezone.now()
        )
        notices = notices.filter(Exists(overdue))
    # The nearest deadline first; notices without one (only registered) after them.
    return notices.order_by(F("due_at").asc(nulls_last=True), "-received_at", "-id")


def _rows(user: Person, notices: list[Notice]) -> list[BoardRow]:
    """Board rows with the per-unit progress of every notice (one query for the page) and when
    the next 催办 is allowed (the organisation's interval, one query); labels, links and times
    prepared here once, so the template prints variables only."""
    if not notices:
        return []
    now = timezone.now()
    text = translated(ROW_TEXT)
    per_unit: dict[int, list[UnitProgress]] = {n.pk: [] for n in notices}
    counts = (
        Acknowledgement.objects.filter(notice_id__in=list(per_unit))
        .values("notice_id", "unit__name", "unit__sort_order", "unit__code")
        .annotate(
            total=Count("id"),
            confirmed=Count("id", filter=Q(state=AckState.CONFIRMED)),
            returned=Count("id", filter=Q(state=AckState.RETURNED)),
            open=Count("id", filter=Q(state__in=ACK_OPEN_STATES)),
            overdue=Count("id", filter=Q(state__in=ACK_OPEN_STATES, due_at__lt=now)),
        )
        .order_by("notice_id", "unit__sort_order", "unit__code")
    )
    for row in counts:
        name = row["unit__name"] or text["no_unit"]
        per_unit[row["notice_id"]].append(
            UnitProgress(
                name=name,
                total=row["total"],
                confirmed=row["confirmed"],
                returned=row["returned"],
                open=row["open"],
                overdue=row["overdue"],
                label=text["unit_progress"] % {"name": name},
                overdue_text=text["late_people"] % {"n": row["overdue"]} if row["overdue"] else "",
            )
        )
    notice_url, units_url = PkUrl("notice-page"), PkUrl("web:board-units")
    remind_url, withdraw_url = PkUrl("web:board-remind"), PkUrl("web:board-withdraw")
    states = translated(dict(NoticeState.choices))
    urgencies = translated(dict(Urgency.choices))
    interval: timedelta | None = None
    rows = []
    for notice in notices:
        next_allowed = None
        last = getattr(notice, "last_remind_at", None)
        if last is not None:
            if interval is None:
                assert user.organisation is not None  # noqa: S101 - visible_notices needs one
                minutes = policy_for(user.organisation).manual_remind_interval_minutes
                interval = timedelta(minutes=minutes)
            if last + interval > now:
                next_allowed = last + interval
        rows.append(
            BoardRow(
                notice=notice,
                text=text,
                units=per_unit[notice.pk],
                next_allowed_at=next_allowed,
                url=notice_url(notice.pk),
                units_url=units_url(notice.pk),
                remind_url=remind_url(notice.pk),
                withdraw_url=withdraw_url(notice.pk),
                state_label=states.get(notice.state, notice.state),
                urgency_label="" if notice.urgency == Urgency.NORMAL else urgencies[notice.urgency],
                due_iso=local_iso(notice.due_at),
                due_text=local_minute(notice.due_at),
            )
        )
    return rows


def _units(user: Person) -> list[Unit]:
    if user.organisation_id is None:
        return []
    return list(
        Unit.objects.filter(organisation_id=user.organisation_id, is_active=True)
        .only("code", "name")
        .order_by("sort_order", "code")
    )


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    user = _clerk(request)
    form = BoardFilter(request.GET or None, units=_units(user))
    status = 200
    data: dict[str, Any] = {}
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
        else:
            status = 400
    page = Paginator(_filtered(_open_notices(user), data), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "selects": filter_selects(form),
        "page": page,
        "rows": _rows(user, list(page.object_list)) if status == 200 else [],
        "query": _query_without_page(request),
    }
    template = "web/board/_table.html" if request.htmx else "web/board/board.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _one_row(request: HttpRequest, user: Person, pk: int) -> BoardRow | None:
    notice = _open_notices(user).filter(pk=pk).first()
    if notice is None:
        return None
    return _rows(user, [notice])[0]


@login_required
@require_safe
def units(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice's progress per unit, loaded when the clerk opens 按机构查看 (htmx): printed in
    every row it was a third of the board's time. Without htmx the row links to the notice page,
    whose table has the same counts."""
    user = _clerk(request)
    row = _one_row(request, user, pk)
    if row is None:
        raise Http404
    return render(request, "web/board/_units.html", {"row": row})


def _visible_or_404(user: Person, pk: int) -> None:
    if not visible_notices(user).filter(pk=pk).exists():
        raise Http404


def _answer(
    request: HttpRequest, user: Person, pk: int, row: BoardRow | None, status: int, done: str
) -> HttpResponse:
    """htmx: the notice's rows (a ``<tbody>``) in place; otherwise back to the board (a success)
    or the board with the message beside the notice (a refusal, with the service's status)."""
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx answers: the refusal is shown in the row, the status stays 200.
        rows = [row] if row is not None else []
        context = {"rows": rows, "pk": pk, "done": done}
        return render(request, "web/board/_notice_rows.html", context)
    if status < 400:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("web:board"))
    page = Paginator(_filtered(_open_notices(user), {}), PAGE_SIZE).get_page(1)
    rows = [r for r in _rows(user, list(page.object_list)) if r.notice.pk != pk]
    if row is not None:
        rows.insert(0, row)  # the refused notice first, with its message
    form = BoardFilter(units=_units(user))
    context = {
        "form": form,
        "selects": filter_selects(form),
        "page": page,
        "rows": rows,
        "query": "",
    }
    return render(request, "web/board/board.html", context, status=status)


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    """一键催办: every open recipient of the notice; the 429 says when the next is allowed."""
    user = _clerk(request)
    _visible_or_404(user, pk)
    status, done = 200, ""
    message = error = ""
    next_allowed: datetime | None = None
    try:
        result = reminding.remind_notice(_actor(request, user), pk)
    except RateLimited as exc:
        status = exc.status
        next_allowed = datetime.fromisoformat(exc.extra["next_allowed_at"])
        error = _next_allowed_text(next_allowed, prefix=error_text(exc))
    except DomainError as exc:
        status, error = exc.status, error_text(exc)
    else:
        next_allowed = result.next_allowed_at
        message = done = str(
            _("已催办 %(count)d 人。") % {"count": result.reminded}
        ) + _next_allowed_text(next_allowed)
    row = _one_row(request, user, pk)
    if row is not None:
        row.message, row.error = message, error
        if next_allowed is not None:
            row.next_allowed_at = next_allowed
    return _answer(request, user, pk, row, status, done)


def _next_allowed_text(moment: datetime, prefix: str = "") -> str:
    local = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    text = str(_("下次可催办时间 %(time)s") % {"time": local})
    return f"{prefix}（{text}）" if prefix else text


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """撤回 with a reason: open acknowledgements are cancelled and the notice leaves the board."""
    user = _clerk(request)
    _visible_or_404(user, pk)
    form = WithdrawForm(request.POST)
    status, done = 200, ""
    if form.is_valid():
        try:
            notice = withdrawal.withdraw_notice(
                _actor(request, user), pk, form.cleaned_data["reason"]
            )
        except DomainError as exc:
            status = exc.status
            form.add_error("reason" if exc.field in (None, "reason") else None, error_text(exc))
        else:
            done = str(
                _("已撤回 %(doc)s，未阅知的接收人不再需要办理。") % {"doc": notice.doc_number}
            )
    else:
        status = 400
    row = _one_row(request, user, pk)
    if row is not None and status >= 400:
        row.withdraw_form = form
    return _answer(request, user, pk, row, status, done)
