"""传阅 / 补发 (the clerk's forward page), the people search by name or pinyin initials and the
live deadline. Thin over ``workflows.services.forwarding.forward_notice``, the service the API's
``forward`` calls (units by code); its errors are shown at their fields in the current language.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from pypinyin import Style, lazy_pinyin

from circulation.intake.layout import UnitRef, map_addressees
from circulation.records.errors import DomainError, InvalidInput
from circulation.records.models import Membership, Notice, Person, Unit, UnitKind
from circulation.records.selectors import visible_notices
from circulation.web.views.register import in_language, signed_in, web_actor
from workflows.calendar import add_working_days, office_closes_on
from workflows.machines import NoticeState
from workflows.services.forwarding import (
    FORWARDABLE,
    MAX_WORKING_DAYS,
    ForwardRequest,
    forward_notice,
)

PEOPLE_RESULTS = 20
# The unit kinds a clerk can pick all at once (全部股室, 全部二级机构).
ALL_OF_KIND = (UnitKind.SECTION, UnitKind.INSTITUTION)
FORM_FIELDS = ("units", "people", "instruction", "due_working_days", "due_at")


def _english() -> bool:
    return (get_language() or "").startswith("en")


def note_in_language(note: str | None) -> str:
    """The calendar's bilingual note (``中文 / English``) in the page's language."""
    if not note:
        return ""
    zh, _sep, en = note.partition(" / ")
    return en if (_english() and en) else zh


def _require_forward(user: Person) -> None:
    if not user.has_perm("records.forward_notice"):
        raise PermissionDenied


def _units(user: Person) -> list[Unit]:
    """The organisation's active units with their number of active members (one query)."""
    if user.organisation_id is None:
        return []
    return list(
        Unit.objects.filter(organisation_id=user.organisation_id, is_active=True)
        .annotate(member_count=Count("memberships", filter=Q(memberships__person__is_active=True)))
        .order_by("sort_order", "code")
    )


def _grouped(units: list[Unit]) -> list[dict[str, Any]]:
    groups = []
    for kind, label in UnitKind.choices:
        members = [unit for unit in units if unit.kind == kind]
        if members:
            groups.append({"kind": kind, "label": label, "units": members})
    return groups


def _notice(user: Person, pk: int) -> Notice:
    notice = (
        visible_notices(user)
        .annotate(recipient_count=Count("acknowledgements"))
        .filter(pk=pk)
        .first()
    )
    if notice is None:  # another organisation's notice, as in the API
        raise Http404
    return notice


@dataclass(frozen=True)
class Preselection:
    """The units the 主送机关 names, ticked before the clerk's first look (they can untick)."""

    kinds: set[str]
    unit_codes: set[str]
    addressees: str
    unmatched: list[str]


def preselect_from_addressees(notice: Notice, units: list[Unit]) -> Preselection | None:
    """主送 “各股室、二级机构” → 全部股室 and 全部二级机构 ticked; a unit named by its name → that
    unit; 局领导/班子成员 → each leadership unit (there is no 全部 box for them). ``None`` when the
    notice names no 主送机关 or none of it matches our units."""
    if not notice.addressees.strip():
        return None
    mapping = map_addressees(
        notice.addressees, [UnitRef(unit.code, unit.name, unit.kind) for unit in units]
    )
    kinds = {kind for kind in mapping["unit_kinds"] if kind in ALL_OF_KIND}
    codes = set(mapping["units"]) | {
        unit.code for unit in units if unit.kind in mapping["unit_kinds"]
    }
    if not kinds and not codes:
        return None
    return Preselection(kinds, codes, notice.addressees, list(mapping["unmatched"]))


def _deadline_from_date(text: str) -> datetime | None:
    """A date typed as the deadline → OFFICE_CLOSES that day (Asia/Shanghai); the service
    checks the range (after now, at most two years ahead)."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "办理时限日期格式不正确，应为 年-月-日",
            "The deadline date must be written as YYYY-MM-DD",
            code="invalid",
            field="due_at",
        ) from None
    return office_closes_on(day)


def _working_days(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        days = int(text.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_WORKING_DAYS:
        raise InvalidInput(
            f"工作日天数须在 1 到 {MAX_WORKING_DAYS} 之间",
            f"due_working_days must be between 1 and {MAX_WORKING_DAYS}",
            code="out_of_range",
            field="due_working_days",
        )
    return days


def _request_from(post: Any, units: list[Unit]) -> ForwardRequest:
    kinds = set(post.getlist("all_kind"))
    codes = [unit.code for unit in units if unit.kind in kinds]
    codes += [code for code in post.getlist("units") if code not in codes]
    return ForwardRequest(
        unit_codes=codes,
        usernames=[name for name in post.getlist("people") if name.strip()],
        instruction=post.get("instruction", ""),
        due_at=_deadline_from_date(post.get("due_date", "")),
        due_working_days=_working_days(post.get("due_working_days", "")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    """传阅 (or 补发 on a circulating notice: only people without an acknowledgement are added)."""
    user = signed_in(request)
    _require_forward(user)
    notice = _notice(user, pk)
    units = _units(user)
    errors: dict[str, str] = {}
    chosen_people: list[dict[str, Any]] = []
    chosen_units = set(request.POST.getlist("units"))
    chosen_kinds = set(request.POST.getlist("all_kind"))
    preselection = None
    if request.method == "GET" and notice.recipient_count == 0:  # type: ignore[attr-defined]
        preselection = preselect_from_addressees(notice, units)
        if preselection is not None:
            chosen_units, chosen_kinds = preselection.unit_codes, preselection.kinds
    if request.method == "POST":
        try:
            result = forward_notice(
                web_actor(request), notice.pk, _request_from(request.POST, units)
            )
        except DomainError as error:
            field = error.field if error.field in FORM_FIELDS else "__all__"
            errors[field] = in_language(error)
            chosen_people = _people_named(user, request.POST.getlist("people"))
        else:
            return render(
                request,
                "web/forward/done.html",
                {
                    "notice": result.notice,
                    "result": result,
                    "calendar_note": note_in_language(result.calendar_note),
                    "was_reforward": notice.recipient_count > 0,  # type: ignore[attr-defined]
                },
            )
    return render(
        request,
        "web/forward/forward.html",
        {
            "notice": notice,
            "forwardable": notice.state in FORWARDABLE,
            "circulating": notice.recipient_count > 0,  # type: ignore[attr-defined]
            "groups": _grouped(units),
            "all_kinds": [(kind, kind.label) for kind in ALL_OF_KIND],
            "errors": errors,
            "posted": request.POST if request.method == "POST" else None,
            "chosen_units": chosen_units,
            "chosen_kinds": chosen_kinds,
            "preselection": preselection,
            "chosen_people": chosen_people,
            "max_days": MAX_WORKING_DAYS,
            "state_circulating": NoticeState.CIRCULATING,
        },
        status=400 if errors else 200,
    )


def _people_named(user: Person, usernames: list[str]) -> list[dict[str, Any]]:
    """The people chosen before an error, shown again as chosen (one query)."""
    if not usernames:
        return []
    rows = _people(user).filter(username__in=usernames[:500])
    return [dict(row) for row in rows.values("username", "display_name")]


def _people(user: Person) -> QuerySet[Person]:
    """The organisation's active people."""
    if user.organisation_id is None:
        return Person.objects.none()
    return Person.objects.filter(organisation_id=user.organisation_id, is_active=True)


def _primary_unit_name() -> Subquery:
    """The name of a person's primary unit, as a subquery (no query per person)."""
    return Subquery(
        Membership.objects.filter(person=OuterRef("pk"))
        .order_by("-is_primary", "unit__sort_order")
        .values("unit__name")[:1]
    )


@functools.lru_cache(maxsize=20_000)
def initials(name: str) -> str:
    """Pinyin initials of a Chinese name: 王收发 → ``wsf`` (letters and digits kept as typed)."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """People found by name, username or pinyin initials (one query; the initials are computed
    on the fly, which is quick for a bureau of a few hundred)."""
    user = signed_in(request)
    _require_forward(user)
    term = request.GET.get("q", "").strip().lower()[:50]
    found: list[dict[str, Any]] = []
    if term:
        rows = (
            _people(user)
            .order_by("username")
            .values("username", "display_name", unit_name=_primary_unit_name())
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
        "web/forward/people.html",
        {
            "term": term,
            "people": found[:PEOPLE_RESULTS],
            "more": len(found) > PEOPLE_RESULTS,
        },
    )


@login_required
@require_GET
def deadline(request: HttpRequest) -> HttpResponse:
    """The date a number of working days ends on, counted exactly as the forward service does
    (from now, ``workflows.calendar.add_working_days``), with the calendar's note."""
    user = signed_in(request)
    _require_forward(user)
    text = request.GET.get("days", request.GET.get("due_working_days", ""))
    context: dict[str, Any] = {}
    try:
        days = _working_days(text)
    except InvalidInput as error:
        context["error"] = in_language(error)
    else:
        if days is not None:
            result = add_working_days(timezone.now(), days)
            context.update(
                days=days,
                due_at=result.due_at,
                weekday=_weekday(result.due_at),
                calendar_note=note_in_language(result.calendar_note),
            )
    return render(request, "web/forward/deadline.html", context)


def _weekday(moment: datetime) -> str:
    names = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]
    return names[timezone.localtime(moment).weekday()]
