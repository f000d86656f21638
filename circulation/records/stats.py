"""传阅统计: the numbers of the dashboard (/dashboard/) and of ``GET /api/v1/stats/``.

One function, :func:`circulation_stats`, serves both, so the page and the API cannot disagree.
The period is a range of days in Asia/Shanghai; an acknowledgement belongs to it when it was
created (the notice forwarded to the person) on one of those days; withdrawn ones (cancelled)
do not count. Per unit and overall: recipients, confirmed, returned, the confirmation rate
(confirmed / recipients, in per cent with one decimal), overdue (still open after the deadline),
late (confirmed after the deadline) and the median hours from forward to confirmation; per week
(Monday first) recipients, confirmed and rate; and the units whose people were reminded most in
the period (reminders sent on its days, by the sweep or by hand). Four queries, whatever the rows.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from circulation.records.errors import InvalidInput
from circulation.records.models import Acknowledgement, Person
from circulation.records.selectors import is_leader
from workflows.machines import ACK_OPEN_STATES, AckState
from workflows.models import Reminder

DEFAULT_DAYS = 56  # eight weeks
MAX_DAYS = 366
MOST_REMINDED = 5


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)`` (interval in, interval out)."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass(frozen=True)
class Counts:
    total: int
    confirmed: int
    returned: int
    overdue: int
    late: int
    median_hours: float | None

    @property
    def rate(self) -> float | None:
        """Confirmed of the recipients, in per cent with one decimal (None without recipients)."""
        return round(100 * self.confirmed / self.total, 1) if self.total else None


@dataclass(frozen=True)
class UnitCounts(Counts):
    code: str
    name: str


@dataclass(frozen=True)
class WeekCounts:
    week_start: date
    total: int
    confirmed: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.confirmed / self.total, 1) if self.total else None


@dataclass(frozen=True)
class ReminderCount:
    code: str
    name: str
    reminders: int


@dataclass(frozen=True)
class CirculationStats:
    period: Period
    overall: Counts
    by_unit: list[UnitCounts]
    by_week: list[WeekCounts]
    most_reminded: list[ReminderCount]


def may_see_stats(user: Person) -> bool:
    """The clerks, the administrators and the organisation's leaders (``selectors.is_leader``:
    the ``leader`` role or a 领导班子 member)."""
    if not user.is_active or user.organisation_id is None:
        return False
    if user.is_superuser or user.is_staff:
        return True
    if user.has_perm("records.forward_notice") or user.has_perm("records.register_notice"):
        return True
    return is_leader(user)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} 须为日期，格式 YYYY-MM-DD",
            f"{field} must be a date as YYYY-MM-DD",
            code="invalid_date",
            field=field,
        ) from None


def parse_period(start: str | None, end: str | None) -> Period:
    """``from``/``to`` of the query (YYYY-MM-DD, both optional): the last eight weeks to today by
    default; at most a year; ``from`` not after ``to``."""
    end_day = _day(end, "to") or timezone.localdate()
    start_day = _day(start, "from") or end_day - timedelta(days=DEFAULT_DAYS - 1)
    if start_day > end_day:
        raise InvalidInput(
            "开始日期不能晚于结束日期",
            "from must not be after to",
            code="invalid_range",
            field="from",
        )
    if (end_day - start_day).days + 1 > MAX_DAYS:
        raise InvalidInput(
            f"统计期间最长 {MAX_DAYS} 天",
            f"The period may span at most {MAX_DAYS} days",
            code="range_too_long",
            field="to",
        )
    return Period(start_day, end_day)


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def _count_expressions(now: datetime) -> dict[str, Any]:
    return {
        "total": Count("id"),
        "confirmed": Count("id", filter=Q(state=AckState.CONFIRMED)),
        "returned": Count("id", filter=Q(state=AckState.RETURNED)),
        "overdue": Count("id", filter=Q(state__in=ACK_OPEN_STATES, due_at__lt=now)),
        "late": Count("id", filter=Q(state=AckState.CONFIRMED, confirmed_at__gt=F("due_at"))),
    }


_WAIT = ExpressionWrapper(F("confirmed_at") - F("created_at"), output_field=DurationField())


def circulation_stats(organisation_id: int, period: Period) -> CirculationStats:
    start, end = period.bounds()
    now = timezone.now()
    acks = Acknowledgement.objects.filter(
        notice__organisation_id=organisation_id, created_at__gte=start, created_at__lt=end
    ).exclude(state=AckState.CANCELLED)
    counts = _count_expressions(now)
    median = {"median": _Median(_WAIT, filter=Q(state=AckState.CONFIRMED))}

    overall_row = acks.aggregate(**counts, **median)
    unit_rows = list(
        acks.values("unit_id", "unit__code", "unit__name", "unit__sort_order")
        .annotate(**counts, **median)
        .order_by("unit__sort_order", "unit__code")
    )
    overall_median = overall_row["median"]
    unit_medians = {row["unit_id"]: row["median"] for row in unit_rows}

    overall = Counts(
        total=overall_row["total"],
        confirmed=overall_row["confirmed"],
        returned=overall_row["returned"],
        overdue=overall_row["overdue"],
        late=overall_row["late"],
        median_hours=_hours(overall_median),
    )
    by_unit = [
        UnitCounts(
            code=row["unit__code"] or "",
            name=row["unit__name"] or "未分机构",
            total=row["total"],
            confirmed=row["confirmed"],
            returned=row["returned"],
            overdue=row["overdue"],
            late=row["late"],
            median_hours=_hours(unit_medians.get(row["unit_id"])),
        )
        for row in unit_rows
    ]
    zone = ZoneInfo(settings.TIME_ZONE)
    week_rows = (
        acks.annotate(week=TruncWeek("created_at", tzinfo=zone))
        .values("week")
        .annotate(total=Count("id"), confirmed=Count("id", filter=Q(state=AckState.CONFIRMED)))
        .order_by("week")
    )
    by_week = [
        WeekCounts(
            week_start=timezone.localtime(row["week"], zone).date()
            if isinstance(row["week"], datetime)
            else row["week"],
            total=row["total"],
            confirmed=row["confirmed"],
        )
        for row in week_rows
    ]
    reminded = (
        Reminder.objects.filter(
            notice__organisation_id=organisation_id, created_at__gte=start, created_at__lt=end
        )
        .values("acknowledgement__unit__code", "acknowledgement__unit__name")
        .annotate(reminders=Count("id"))
        .order_by("-reminders", "acknowledgement__unit__code")[:MOST_REMINDED]
    )
    most_reminded = [
        ReminderCount(
            code=row["acknowledgement__unit__code"] or "",
            name=row["acknowledgement__unit__name"] or "未分机构",
            reminders=row["reminders"],
        )
        for row in reminded
    ]
    return CirculationStats(period, overall, by_unit, by_week, most_reminded)
