"""本机构 (the unit head's page): the open notices sent to the units they head, who of their
people has not opened or not confirmed each, a one-click reminder to those people, and their own
inbox.

The same cut as the API's roster (``notices/{id}/acknowledgements/`` for a head: the rows of the
units they head, ``headed_unit_ids``); someone who heads no unit gets 404. The reminder is
:func:`workflows.services.unit_reminding.remind_unit` (rate-limited per notice and unit like the
clerk's 催办, audited, delivered through the same digests). Queries do not grow with the rows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError, RateLimited
from circulation.records.models import Acknowledgement, ConfirmMethod, Notice, Person, Unit
from circulation.web.views.board import error_text
from circulation.web.views.inbox import inbox_summary
from workflows.machines import ACK_OPEN_STATES, AckState, NoticeState
from workflows.models import ManualRemind
from workflows.reminders.policy import policy_for
from workflows.services.unit_reminding import remind_unit

PAGE_SIZE = 20


@dataclass
class UnitNotice:
    """One open notice as one unit of the head sees it."""

    notice: Notice
    unit: Unit
    total: int
    confirmed: int
    returned: int
    overdue: int
    pending: list[Acknowledgement] = field(default_factory=list)
    next_allowed_at: datetime | None = None
    error: str = ""

    @property
    def key(self) -> str:
        return f"n{self.notice.pk}-u{self.unit.pk}"

    @property
    def open(self) -> int:
        return len(self.pending)


def _head(request: HttpRequest) -> tuple[Person, dict[int, Unit]]:
    user = request.user
    if not isinstance(user, Person) or user.organisation_id is None:
        raise Http404
    units = {
        u.pk: u
        for u in Unit.objects.filter(
            head=user, is_active=True, organisation_id=user.organisation_id
        ).order_by("sort_order", "code")
    }
    if not units:
        raise Http404
    return user, units


def _rows(
    user: Person, units: dict[int, Unit], page_number: str | None
) -> tuple[object, list[UnitNotice]]:
    """The (notice, unit) pairs of a page with their counts, pending people and next reminder
    time: five queries whatever the number of recipients."""
    now = timezone.now()
    pairs = (
        Acknowledgement.objects.filter(
            unit_id__in=list(units),
            notice__state=NoticeState.CIRCULATING,  # the units are of the user's organisation
        )
        .values("notice_id", "unit_id")
        .annotate(
            total=Count("id", filter=~Q(state=AckState.CANCELLED)),
            confirmed=Count("id", filter=Q(state=AckState.CONFIRMED)),
            returned=Count("id", filter=Q(state=AckState.RETURNED)),
            overdue=Count("id", filter=Q(state__in=ACK_OPEN_STATES, due_at__lt=now)),
            due=Max("notice__due_at"),
        )
        .order_by(F("due").asc(nulls_last=True), "-notice_id", "unit_id")
    )
    page = Paginator(pairs, PAGE_SIZE).get_page(page_number)
    page_pairs = list(page.object_list)
    if not page_pairs:
        return page, []
    notice_ids = {p["notice_id"] for p in page_pairs}
    notices = Notice.objects.only(
        "id", "doc_number", "title", "urgency", "due_at", "state"
    ).in_bulk(notice_ids)
    pending: dict[tuple[int, int], list[Acknowledgement]] = {}
    open_acks = (
        Acknowledgement.objects.filter(
            notice_id__in=notice_ids, unit_id__in=list(units), state__in=ACK_OPEN_STATES
        )
        .select_related("person")
        .only(
            "id",
            "notice_id",
            "unit_id",
            "state",
            "due_at",
            "opened_at",
            "reminders_sent",
            "person__username",
            "person__display_name",
        )
        .order_by("person__username", "pk")
    )
    for ack in open_acks:
        ack.is_overdue = ack.due_at is not None and ack.due_at < now  # type: ignore[attr-defined]
        pending.setdefault((ack.notice_id, ack.unit_id), []).append(ack)  # type: ignore[arg-type]
    assert user.organisation is not None  # noqa: S101 - checked by _head
    interval = timedelta(minutes=policy_for(user.organisation).manual_remind_interval_minutes)
    recent: dict[tuple[int, int | None], datetime] = {}
    for notice_id, unit_id, at in (
        ManualRemind.objects.filter(notice_id__in=notice_ids, requested_at__gt=now - interval)
        .filter(Q(unit_id__in=list(units)) | Q(unit__isnull=True))
        .values_list("notice_id", "unit_id", "requested_at")
    ):
        key = (notice_id, unit_id)
        recent[key] = max(at, recent.get(key, at))
    rows = []
    for pair in page_pairs:
        notice_id, unit_id = pair["notice_id"], pair["unit_id"]
        lasts = [t for t in (recent.get((notice_id, unit_id)), recent.get((notice_id, None))) if t]
        rows.append(
            UnitNotice(
                notice=notices[notice_id],
                unit=units[unit_id],
                total=pair["total"],
                confirmed=pair["confirmed"],
                returned=pair["returned"],
                overdue=pair["overdue"],
                pending=pending.get((notice_id, unit_id), []),
                next_allowed_at=max(lasts) + interval if lasts else None,
            )
        )
    return page, rows


def _render(
    request: HttpRequest,
    user: Person,
    units: dict[int, Unit],
    status: int = 200,
    error: tuple[int, int, str] | None = None,
) -> HttpResponse:
    page, rows = _rows(user, units, request.GET.get("page"))
    if error is not None:
        for row in rows:
            if (row.notice.pk, row.unit.pk) == error[:2]:
                row.error = error[2]
    context = {"units": list(units.values()), "page": page, "rows": rows, **inbox_summary(user)}
    return render(request, "web/unit/unit.html", context, status=status)


@login_required
@require_safe
def unit_page(request: HttpRequest) -> HttpResponse:
    user, units = _head(request)
    return _render(request, user, units)


@login_required
@require_POST
def remind(request: HttpRequest, notice_id: int, unit_id: int) -> HttpResponse:
    """一键提醒本机构未办人员; a refusal (429 too soon, 409 not circulating) beside the notice."""
    user, units = _head(request)
    if unit_id not in units:
        raise Http404
    actor = Actor(user=user, ip=client_ip(request), method=ConfirmMethod.SESSION)
    try:
        result = remind_unit(actor, notice_id, unit_id)
    except RateLimited as exc:
        moment = datetime.fromisoformat(exc.extra["next_allowed_at"])
        local = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        text = str(_("下次可提醒时间 %(time)s") % {"time": local})
        return _render(
            request, user, units, exc.status, (notice_id, unit_id, f"{error_text(exc)}（{text}）")
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        return _render(request, user, units, exc.status, (notice_id, unit_id, error_text(exc)))
    local = timezone.localtime(result.next_allowed_at).strftime("%Y-%m-%d %H:%M")
    messages.success(
        request,
        str(
            _("已提醒 %(unit)s %(count)d 人。下次可提醒时间 %(time)s")
            % {"unit": units[unit_id].name, "count": result.reminded, "time": local}
        ),
    )
    return HttpResponseRedirect(f"{reverse('web:unit')}#n{notice_id}-u{unit_id}", status=303)
