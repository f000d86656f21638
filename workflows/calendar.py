"""Working-day calendar (工作日历): the official Chinese calendar with 调休, plus admin overrides.

Rules, in order of precedence for one date:

1. A :class:`~workflows.models.CalendarDay` row (管理员录入的节假日/调休) decides.
2. Inside the data range of the ``chinesecalendar`` package, ``chinese_calendar.is_workday``
   decides (法定节假日放假, 调休上班的周末算工作日).
3. After that range (the package has data only up to a fixed year), the statutory holidays of
   the 全国年节及纪念日放假办法 are derived (:func:`statutory_holidays`: 元旦, 春节 from 除夕 to
   初三, 清明, 劳动节 5-1 and 5-2, 端午, 中秋, 国庆 10-1 to 10-3, and a 补假 weekday for each one
   that falls on a weekend) and are not working days — provisional (暂定) until an admin enters
   the year's announcement; every other Monday–Friday is a working day. The 调休 working weekends
   are announced every year and cannot be derived: only admin entries bring them in.
4. Before that range, Monday–Friday are working days — a fallback (兜底规则) that never raises.

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
from lunar_python import Lunar, Solar

from workflows.models import CalendarDay

_SATURDAY = 5
# Extra calendar days loaded beyond ``2 × days`` so that a long holiday (春节, 国庆) fits in the
# first override window; a longer run of admin holidays just costs one more query.
_WINDOW_SLACK_DAYS = 31
# 全国年节及纪念日放假办法: the 2013 revision (in force 2014-01-01) and the 2024 revision (国务院令
# 第795号, in force 2025-01-01, which added 除夕 to 春节 and 5-2 to 劳动节).
_FIRST_RULE_YEAR = 2014
_REVISION_2024_FROM = 2025


@dataclass(frozen=True)
class Holiday:
    """One day off under the 全国年节及纪念日放假办法 (法定节假日).

    ``substitute`` marks a 补假: the weekday given off because a statutory day of the festival
    fell on a Saturday or Sunday (办法 第六条).
    """

    day: date
    name: str
    name_en: str
    substitute: bool = False


@dataclass(frozen=True)
class Deadline:
    """A deadline counted in working days (办理期限).

    ``due_at`` is OFFICE_CLOSES (下班时间) on the last working day, aware in Asia/Shanghai.
    ``calendar_note`` is a bilingual note when any day of the counted period lies outside the
    official holiday data (超出官方节假日数据), else ``None``; ``fallback_used`` says the same as
    a flag. ``provisional_holidays`` are the derived (暂定) holidays the period skipped.
    """

    due_at: datetime
    calendar_note: str | None
    fallback_used: bool
    provisional_holidays: tuple[Holiday, ...] = ()


@functools.cache
def _official_years() -> tuple[int, int]:
    """First and last year covered by the ``chinesecalendar`` package's holiday data."""
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def official_data_covers(d: date) -> bool:
    """Whether the official holiday data (官方节假日数据) covers ``d``'s year."""
    first, last = _official_years()
    return first <= d.year <= last


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    """The 清明 solar term (April 4 or 5) of ``year``, Beijing time."""
    term = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


@functools.cache
def statutory_holidays(year: int) -> tuple[Holiday, ...]:
    """The statutory holidays (法定节假日) of ``year`` by the 全国年节及纪念日放假办法.

    From 2025 (2024 revision): 元旦 1 day, 春节 4 days (除夕 to 初三), 清明 1 day (the solar term),
    劳动节 2 days (5-1, 5-2), 端午 1 day (五月初五), 中秋 1 day (八月十五), 国庆 3 days (10-1 to
    10-3); 2014–2024 (2013 revision): 春节 初一 to 初三 and 劳动节 5-1 only. Lunar dates and the
    solar term come from ``lunar_python``. A statutory day on a Saturday or Sunday adds a 补假 on
    the next weekday that is not already off (办法 第六条). Two festivals on one date (中秋 on
    国庆) are one day off. The 调休 working weekends are announced yearly and are not derived.
    """
    if year < _FIRST_RULE_YEAR:
        raise ValueError(f"statutory holidays are derived from {_FIRST_RULE_YEAR} on, not {year}")
    new_rules = year >= _REVISION_2024_FROM
    spring = _lunar_to_solar(year, 1, 1)
    spring_first = spring - timedelta(days=1) if new_rules else spring  # 除夕 from 2025
    festivals: list[tuple[str, str, list[date]]] = [
        ("元旦", "New Year's Day", [date(year, 1, 1)]),
        (
            "春节",
            "Spring Festival",
            [spring_first + timedelta(days=i) for i in range((spring - spring_first).days + 3)],
        ),
        ("清明节", "Tomb-sweeping Day", [_qingming(year)]),
        ("劳动节", "Labour Day", [date(year, 5, 1), date(year, 5, 2)][: 2 if new_rules else 1]),
        ("端午节", "Dragon Boat Festival", [_lunar_to_solar(year, 5, 5)]),
        ("国庆节", "National Day", [date(year, 10, d) for d in (1, 2, 3)]),
        ("中秋节", "Mid-autumn Festival", [_lunar_to_solar(year, 8, 15)]),
    ]
    days: dict[date, Holiday] = {}
    for name, name_en, dates in festivals:
        for day in dates:
            if day not in days:  # 中秋 on 国庆 (2020): the day off stays 国庆's
                days[day] = Holiday(day, name, name_en)
    for holiday in sorted(days.values(), key=lambda h: h.day):
        if holiday.substitute or holiday.day.weekday() < _SATURDAY:
            continue
        substitute = holiday.day + timedelta(days=1)
        while substitute.weekday() >= _SATURDAY or substitute in days:
            substitute += timedelta(days=1)
        days[substitute] = Holiday(substitute, holiday.name, holiday.name_en, substitute=True)
    return tuple(sorted(days.values(), key=lambda h: h.day))


@functools.cache
def _provisional_by_date(year: int) -> dict[date, Holiday]:
    return {holiday.day: holiday for holiday in statutory_holidays(year)}


def provisional_holiday(d: date) -> Holiday | None:
    """The derived statutory holiday (暂定法定节假日) on ``d`` after the official data, if any."""
    if d.year <= _official_years()[1]:
        return None
    return _provisional_by_date(d.year).get(d)


def _load_overrides(first: date, last: date) -> dict[date, bool]:
    """Admin overrides (管理员录入的节假日/调休) for ``first..last`` inclusive, in one query."""
    rows = CalendarDay.objects.filter(date__gte=first, date__lte=last)
    return dict(rows.values_list("date", "is_working_day"))


def _decide(d: date, overrides: dict[date, bool]) -> tuple[bool, Holiday | None]:
    """Whether ``d`` is a working day, and the provisional holiday that decided it if one did."""
    if d in overrides:
        return overrides[d], None
    if official_data_covers(d):
        return bool(chinese_calendar.is_workday(d)), None
    holiday = provisional_holiday(d)
    if holiday is not None:
        return False, holiday
    return d.weekday() < _SATURDAY, None


def _is_working(d: date, overrides: dict[date, bool]) -> bool:
    """Decide one date: admin override, else official data, else derived holidays, Mon–Fri."""
    return _decide(d, overrides)[0]


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day (工作日), 调休上班 included and 节假日 excluded."""
    return _is_working(d, _load_overrides(d, d))


def _days_after(d: date, window_days: int) -> Iterator[tuple[date, bool, Holiday | None]]:
    """Every day strictly after ``d`` with its decision, loading overrides in windows.

    The first window is one query; a further window is loaded only when counting runs past it.
    """
    window_start = d + timedelta(days=1)
    while True:
        window_end = window_start + timedelta(days=window_days - 1)
        overrides = _load_overrides(window_start, window_end)
        day = window_start
        while day <= window_end:
            working, holiday = _decide(day, overrides)
            yield day, working, holiday
            day += timedelta(days=1)
        window_start = window_end + timedelta(days=1)


@dataclass(frozen=True)
class _Count:
    due: date
    first_beyond: date | None  # the first day of the period outside the official data
    provisional: tuple[Holiday, ...]


def _nth_working_day_after(d: date, n: int) -> _Count:
    """The ``n``-th working day after ``d``, with what the period ``(d, due]`` ran into."""
    first_beyond: date | None = None
    provisional: list[Holiday] = []
    counted = 0
    for day, working, holiday in _days_after(d, 2 * n + _WINDOW_SLACK_DAYS):
        if first_beyond is None and not official_data_covers(day):
            first_beyond = day
        if holiday is not None:
            provisional.append(holiday)
        if working:
            counted += 1
            if counted == n:
                return _Count(day, first_beyond, tuple(provisional))
    raise AssertionError("unreachable: the day iterator is endless")  # pragma: no cover


def derived_years(today: date) -> range:
    """The years after the official data up to next year (at least one): what the calendar
    derives (推算) now, for the admin and ``seed_demo`` to show."""
    last = _official_years()[1]
    return range(last + 1, max(last + 1, today.year + 1) + 1)


@dataclass(frozen=True)
class DerivedDay:
    """A derived holiday as the admin sees it: with the admin entry that overrides it, if any."""

    holiday: Holiday
    override: CalendarDay | None


def derived_calendar(today: date) -> dict[int, list[DerivedDay]]:
    """The derived (暂定) holidays of :func:`derived_years`, with admin overrides (one query)."""
    years = derived_years(today)
    rows = CalendarDay.objects.filter(date__year__gte=years[0], date__year__lte=years[-1])
    overrides = {row.date: row for row in rows}
    return {
        year: [DerivedDay(h, overrides.get(h.day)) for h in statutory_holidays(year)]
        for year in years
    }


def describe_holidays(holidays: tuple[Holiday, ...]) -> tuple[str, str]:
    """Consecutive days of one festival as runs, in Chinese and English.

    E.g. ``元旦 2027-01-01、春节 2027-02-05至02-10（含补假）``.
    """
    runs: list[list[Holiday]] = []
    for holiday in holidays:
        last = runs[-1][-1] if runs else None
        if last and last.name == holiday.name and holiday.day - last.day == timedelta(days=1):
            runs[-1].append(holiday)
        else:
            runs.append([holiday])
    zh, en = [], []
    for run in runs:
        first, last = run[0], run[-1]
        extra = any(h.substitute for h in run)
        if first == last:
            zh.append(f"{first.name} {first.day.isoformat()}" + ("（补假）" if extra else ""))
            en.append(
                f"{first.name_en} {first.day.isoformat()}" + (" (substitute)" if extra else "")
            )
        else:
            zh.append(
                f"{first.name} {first.day.isoformat()}至{last.day:%m-%d}"
                + ("（含补假）" if extra else "")
            )
            en.append(
                f"{first.name_en} {first.day.isoformat()} to {last.day:%m-%d}"
                + (" (incl. substitute days)" if extra else "")
            )
    return "、".join(zh), ", ".join(en)


def _calendar_note(first_beyond: date, provisional: tuple[Holiday, ...]) -> str:
    """Bilingual note on how days outside the official data were counted, from a date on."""
    first_year, last_year = _official_years()
    if first_beyond.year < first_year:
        return (
            f"{first_beyond.isoformat()} 早于官方节假日数据（自{first_year}年起），"
            "按周一至周五及管理员录入的节假日计算 / "
            f"Before the official holiday data (from {first_year}): "
            "counted Monday–Friday plus holidays entered by an administrator"
        )
    zh_days, en_days = describe_holidays(provisional)
    return (
        f"{first_beyond.isoformat()} 起超出官方节假日数据（至{last_year}年）："
        "按周一至周五计算，法定节假日按《全国年节及纪念日放假办法》推算，为暂定"
        + (f"（本期限内：{zh_days}）" if zh_days else "")
        + "；调休上班日每年由国务院公布，无法推算，以管理员录入的节假日/调休为准 / "
        f"Beyond the official holiday data (up to {last_year}): counted Monday–Friday with "
        "the statutory holidays derived from the national holiday regulations, provisional"
        + (f" (in this period: {en_days})" if en_days else "")
        + "; weekend working days (调休) are announced yearly and cannot be derived — days an "
        "administrator entered take precedence"
    )


@dataclass(frozen=True)
class OfficeHours:
    opens: time
    closes: time


def office_hours() -> OfficeHours:
    """办公时间 (Asia/Shanghai), from one source: ``OFFICE_OPENS`` and ``OFFICE_CLOSES``. A
    deadline in working days ends at ``closes``; the reminder sweep writes only between the two."""
    return OfficeHours(
        time.fromisoformat(settings.OFFICE_OPENS), time.fromisoformat(settings.OFFICE_CLOSES)
    )


def office_closes_on(d: date) -> datetime:
    """下班时间 on ``d`` as an aware datetime in the project time zone."""
    return datetime.combine(d, office_hours().closes, tzinfo=ZoneInfo(settings.TIME_ZONE))


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
    count = _nth_working_day_after(start_date, days)
    beyond = count.first_beyond
    return Deadline(
        due_at=office_closes_on(count.due),
        calendar_note=None if beyond is None else _calendar_note(beyond, count.provisional),
        fallback_used=beyond is not None,
        provisional_holidays=count.provisional,
    )


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
