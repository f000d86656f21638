"""Working-day calendar (工作日历): the official Chinese calendar with 调休, plus admin overrides.

Rules, in order of precedence for one date:

1. A :class:`~workflows.models.CalendarDay` row (管理员录入的节假日/调休) decides.
2. Inside the data range of the ``chinesecalendar`` package, ``chinese_calendar.is_workday``
   decides (法定节假日放假, 调休上班的周末算工作日).
3. Beyond that range (the package has data only up to a fixed year), Monday–Friday are working
   days and Saturday/Sunday are not — a fallback (兜底规则) that never raises.

Every public function loads the overrides for the dates it needs in one query, never one per day.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.utils import timezone

from workflows.models import CalendarDay

_SATURDAY = 5
# Extra calendar days loaded beyond ``2 × days`` so that a long holiday (春节, 国庆) fits in the
# first override window; a longer run of admin holidays just costs one more query.
_WINDOW_SLACK_DAYS = 31


@dataclass(frozen=True)
class Deadline:
    """A deadline counted in working days (办理期限).

    ``due_at`` is OFFICE_CLOSES (下班时间) on the last working day, aware in Asia/Shanghai.
    ``calendar_note`` is a bilingual note when any counted day lies beyond the official holiday
    data (超出官方节假日数据), else ``None``; ``fallback_used`` says the same as a flag.
    """

    due_at: datetime
    calendar_note: str | None
    fallback_used: bool


@functools.cache
def _official_years() -> tuple[int, int]:
    """First and last year covered by the ``chinesecalendar`` package's holiday data."""
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def official_data_covers(d: date) -> bool:
    """Whether the official holiday data (官方节假日数据) covers ``d``'s year."""
    first, last = _official_years()
    return first <= d.year <= last


def _load_overrides(first: date, last: date) -> dict[date, bool]:
    """Admin overrides (管理员录入的节假日/调休) for ``first..last`` inclusive, in one query."""
    rows = CalendarDay.objects.filter(date__gte=first, date__lte=last)
    return dict(rows.values_list("date", "is_working_day"))


def _is_working(d: date, overrides: dict[date, bool]) -> bool:
    """Decide one date: admin override, else official data, else Monday–Friday."""
    if d in overrides:
        return overrides[d]
    if official_data_covers(d):
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < _SATURDAY


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day (工作日), 调休上班 included and 节假日 excluded."""
    return _is_working(d, _load_overrides(d, d))


def _working_days_after(d: date, window_days: int) -> Iterator[date]:
    """Working days strictly after ``d``, loading overrides in windows of ``window_days``.

    The first window is one query; a further window is loaded only when counting runs past it.
    """
    window_start = d + timedelta(days=1)
    while True:
        window_end = window_start + timedelta(days=window_days - 1)
        overrides = _load_overrides(window_start, window_end)
        day = window_start
        while day <= window_end:
            if _is_working(day, overrides):
                yield day
            day += timedelta(days=1)
        window_start = window_end + timedelta(days=1)


def _nth_working_day_after(d: date, n: int) -> tuple[date, date | None]:
    """The ``n``-th working day after ``d`` and the first counted day beyond the official data."""
    first_beyond: date | None = None
    days = _working_days_after(d, 2 * n + _WINDOW_SLACK_DAYS)
    for counted, day in enumerate(days, start=1):
        if first_beyond is None and not official_data_covers(day):
            first_beyond = day
        if counted == n:
            return day, first_beyond
    raise AssertionError("unreachable: the working-day iterator is endless")  # pragma: no cover


def _fallback_note(first_beyond: date) -> str:
    """Bilingual note that counting used the Monday–Friday fallback (兜底规则) from a date on."""
    first_year, last_year = _official_years()
    if first_beyond.year < first_year:
        return (
            f"{first_beyond.isoformat()} 早于官方节假日数据（自{first_year}年起），"
            "按周一至周五及管理员录入的节假日计算 / "
            f"Before the official holiday data (from {first_year}): "
            "counted Monday–Friday plus holidays entered by an administrator"
        )
    return (
        f"{first_beyond.isoformat()} 起超出官方节假日数据（至{last_year}年），"
        "按周一至周五及管理员录入的节假日计算 / "
        f"Beyond the official holiday data (up to {last_year}): "
        "counted Monday–Friday plus holidays entered by an administrator"
    )


def _office_closes_on(d: date) -> datetime:
    """OFFICE_CLOSES (下班时间) on ``d`` as an aware datetime in the project time zone."""
    closes = time.fromisoformat(settings.OFFICE_CLOSES)
    return datetime.combine(d, closes, tzinfo=ZoneInfo(settings.TIME_ZONE))


def add_working_days(start: datetime, days: int) -> Deadline:
    """Deadline ``days`` working days (工作日) after ``start``, due at OFFICE_CLOSES.

    Counting starts with the next working day after ``start``'s local date, so a document
    received on Thursday with 1 working day is due Friday (or after the 节假日, on a 调休 day).
    ``start`` must be aware and ``days`` at least 1.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if timezone.is_naive(start):
        raise ValueError("start must be an aware datetime")
    start_date = timezone.localtime(start, ZoneInfo(settings.TIME_ZONE)).date()
    due_date, first_beyond = _nth_working_day_after(start_date, days)
    note = None if first_beyond is None else _fallback_note(first_beyond)
    return Deadline(
        due_at=_office_closes_on(due_date),
        calendar_note=note,
        fallback_used=first_beyond is not None,
    )


def working_days_between(start: date, end: date) -> int:
    """Number of working days (工作日) in ``(start, end]``; 0 when ``end <= start``."""
    if end <= start:
        return 0
    overrides = _load_overrides(start + timedelta(days=1), end)
    total = (end - start).days
    return sum(_is_working(start + timedelta(days=i), overrides) for i in range(1, total + 1))


def next_working_day(d: date) -> date:
    """The first working day (工作日) strictly after ``d``, e.g. the 调休 Saturday after 国庆."""
    day, _ = _nth_working_day_after(d, 1)
    return day


class Workdays:
    """The official calendar with 调休 for ``first..last``, with one query for the admin overrides.

    For callers that ask about many dates at once (the reminder sweep, per batch); days outside
    the range fall back to :func:`is_working_day`.
    """

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last
        self._overrides = _load_overrides(first, last)
        self._counts: dict[tuple[date, date], int] = {}

    def is_working(self, day: date) -> bool:
        if self.first <= day <= self.last:
            return _is_working(day, self._overrides)
        return is_working_day(day)

    def count_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; 0 when ``end <= start``."""
        if end <= start:
            return 0
        key = (start, end)
        if key not in self._counts:
            days = (end - start).days
            self._counts[key] = sum(
                self.is_working(start + timedelta(days=i)) for i in range(1, days + 1)
            )
        return self._counts[key]

    def next_after(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working(day):
            day += timedelta(days=1)
        return day
