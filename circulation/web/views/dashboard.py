"""统计 (the dashboard) for the clerks, the administrators and the organisation's leaders.

The numbers come from :func:`circulation.records.stats.circulation_stats`, the selector behind
``GET /api/v1/stats/``, for the same ``from``/``to`` (so the page and the API cannot disagree).
Each chart is server-rendered SVG (``role="img"`` with a ``<title>``), every bar labelled with
its number (not colour alone), with a text summary and its numbers as a table (数据表).
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from circulation.records.errors import InvalidInput
from circulation.records.models import Person
from circulation.records.stats import (
    CirculationStats,
    circulation_stats,
    may_see_stats,
    parse_period,
)
from circulation.web.views.board import error_text

LABEL_WIDTH = 140  # SVG units left of the bars (unit names up to about 10 characters)
BAR_SPACE = 170  # the longest bar
WIDTH = LABEL_WIDTH + BAR_SPACE + 50  # room for the number after the longest bar; fits a phone
ROW_HEIGHT = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the number as shown beside the bar
    y: int
    width: int

    @property
    def text_x(self) -> int:
        return LABEL_WIDTH + self.width + 6

    @property
    def label_y(self) -> int:
        return self.y + 15


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    width: int = WIDTH


def _number(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value}{unit}"


def chart(
    rows: list[tuple[str, float | int | None]], *, maximum: float | None = None, unit: str = ""
) -> Chart:
    """Horizontal bars, the widest ``maximum`` (or the largest value)."""
    largest = maximum or max((v for _label, v in rows if v is not None), default=0) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            text=_number(value, unit),
            y=index * ROW_HEIGHT + 4,
            width=round(BAR_SPACE * (value or 0) / largest),
        )
        for index, (label, value) in enumerate(rows)
    ]
    return Chart(bars=bars, height=max(1, len(bars)) * ROW_HEIGHT + 8)


def _charts(stats: CirculationStats) -> dict[str, Chart]:
    return {
        "rate_by_unit": chart([(u.name, u.rate) for u in stats.by_unit], maximum=100, unit="%"),
        "rate_by_week": chart(
            [(w.week_start.strftime("%m-%d"), w.rate) for w in stats.by_week], maximum=100, unit="%"
        ),
        "overdue_by_unit": chart([(u.name, u.overdue) for u in stats.by_unit]),
        "median_by_unit": chart([(u.name, u.median_hours) for u in stats.by_unit]),
        "most_reminded": chart([(r.name, r.reminders) for r in stats.most_reminded]),
    }


def _summaries(stats: CirculationStats) -> dict[str, str]:
    rated = [u for u in stats.by_unit if u.rate is not None]
    out: dict[str, str] = {}
    if rated:
        best = max(rated, key=lambda u: u.rate or 0)
        worst = min(rated, key=lambda u: u.rate or 0)
        out["rate_by_unit"] = str(
            _("确认率最高的是%(best)s（%(best_rate)s%%），最低的是%(worst)s（%(worst_rate)s%%）。")
            % {
                "best": best.name,
                "best_rate": best.rate,
                "worst": worst.name,
                "worst_rate": worst.rate,
            }
        )
    if stats.by_week:
        last = stats.by_week[-1]
        out["rate_by_week"] = str(
            _("共 %(weeks)d 周；最近一周（%(start)s 起）确认率 %(rate)s。")
            % {
                "weeks": len(stats.by_week),
                "start": last.week_start.isoformat(),
                "rate": _number(last.rate, "%"),
            }
        )
    late_units = [u for u in stats.by_unit if u.overdue]
    out["overdue_by_unit"] = str(
        _("逾期未办共 %(count)d 人次，涉及 %(units)d 个机构；逾期后确认 %(late)d 人次。")
        % {"count": stats.overall.overdue, "units": len(late_units), "late": stats.overall.late}
    )
    out["median_by_unit"] = str(
        _("全部接收人从传阅到确认的中位用时为 %(hours)s 小时。")
        % {"hours": _number(stats.overall.median_hours)}
    )
    if stats.most_reminded:
        top = stats.most_reminded[0]
        out["most_reminded"] = str(
            _("被催办最多的是%(unit)s，共 %(count)d 次。")
            % {"unit": top.name, "count": top.reminders}
        )
    return out


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, Person) or user.organisation_id is None:
        raise Http404
    if not may_see_stats(user):
        raise PermissionDenied
    errors: dict[str, str] = {}
    status = 200
    try:
        period = parse_period(request.GET.get("from"), request.GET.get("to"))
    except InvalidInput as exc:
        errors[exc.field or "from"] = error_text(exc)
        status = 400
        period = parse_period(None, None)
    stats = circulation_stats(user.organisation_id, period)
    context = {
        "stats": stats,
        "charts": _charts(stats),
        "summaries": _summaries(stats),
        "errors": errors,
        "value_from": request.GET.get("from", period.start.isoformat()),
        "value_to": request.GET.get("to", period.end.isoformat()),
    }
    return render(request, "web/dashboard/dashboard.html", context, status=status)
