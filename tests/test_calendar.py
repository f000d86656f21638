"""Working-day calendar (工作日历): official data with 调休, derived statutory holidays beyond it
(2027, 2030), admin overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from pytest_django import DjangoAssertNumQueries

from workflows.calendar import (
    Workdays,
    add_working_days,
    is_working_day,
    official_data_covers,
    statutory_holidays,
)
from workflows.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    """An aware Asia/Shanghai datetime."""
    return datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def closes(y: int, m: int, d: int) -> datetime:
    """OFFICE_CLOSES (17:30) on a day, Asia/Shanghai."""
    return at(y, m, d, 17, 30)


def next_working_day(d: date) -> date:
    """The first working day strictly after ``d``, as the sweep's ``Workdays`` finds it."""
    return Workdays(d, d + timedelta(days=30)).next_after(d)


def working_days_between(start: date, end: date) -> int:
    """Working days in ``(start, end]``, as the sweep's ``Workdays`` counts them."""
    return Workdays(start, max(start, end)).count_between(start, end)


def holiday(d: date, name: str = "放假") -> CalendarDay:
    return CalendarDay.objects.create(date=d, is_working_day=False, name=name)


def workday(d: date, name: str = "调休上班") -> CalendarDay:
    return CalendarDay.objects.create(date=d, is_working_day=True, name=name)


def test_national_day_2022_skips_holiday_and_counts_tiaoxiu_weekend() -> None:
    """Thu 09-29 + 5: 09-30, 10-08 (Sat 调休), 10-09 (Sun 调休), 10-10, 10-11."""
    deadline = add_working_days(at(2022, 9, 29), 5)
    assert deadline.due_at == closes(2022, 10, 11)
    assert deadline.calendar_note is None
    assert deadline.fallback_used is False


def test_tiaoxiu_saturday_counts_as_working_day() -> None:
    """Sat 2022-10-08 is a 调休 working day, so one working day after 10-07 ends on it."""
    assert add_working_days(at(2022, 10, 7), 1).due_at == closes(2022, 10, 8)
    assert next_working_day(date(2022, 10, 7)) == date(2022, 10, 8)
    assert is_working_day(date(2022, 10, 8)) is True


def test_plain_weekend_is_skipped() -> None:
    """Fri 2025-03-07 + 1 working day is Mon 03-10: the weekend 03-08/09 is not counted."""
    assert add_working_days(at(2025, 3, 7), 1).due_at == closes(2025, 3, 10)
    assert is_working_day(date(2025, 3, 8)) is False


def test_counting_uses_the_local_date_of_start() -> None:
    """23:30 UTC on 09-29 is already 09-30 in Shanghai, so counting starts after 09-30."""
    start = datetime(2022, 9, 29, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert add_working_days(start, 5).due_at == closes(2022, 10, 12)


def test_2027_counts_monday_to_friday_with_note() -> None:
    """Beyond the package's data: Fri 2027-03-05 + 1 is Mon 03-08, with a bilingual note."""
    assert not official_data_covers(date(2027, 3, 5))
    deadline = add_working_days(at(2027, 3, 5), 1)
    assert deadline.due_at == closes(2027, 3, 8)
    assert deadline.fallback_used is True
    assert deadline.provisional_holidays == ()
    assert deadline.calendar_note == (
        "2027-03-06 起超出官方节假日数据（至2026年）：按周一至周五计算，法定节假日按"
        "《全国年节及纪念日放假办法》推算，为暂定；调休上班日每年由国务院公布，无法推算，"
        "以管理员录入的节假日/调休为准 / "
        "Beyond the official holiday data (up to 2026): counted Monday–Friday with the statutory "
        "holidays derived from the national holiday regulations, provisional; weekend working "
        "days (调休) are announced yearly and cannot be derived — days an administrator entered "
        "take precedence"
    )


def test_new_year_2027_is_a_holiday_without_any_admin_entry() -> None:
    """Wed 2026-12-30 + 2: 12-31, then 元旦 Fri 2027-01-01 (derived) is skipped: Mon 01-04."""
    assert is_working_day(date(2027, 1, 1)) is False
    deadline = add_working_days(at(2026, 12, 30), 2)
    assert deadline.due_at == closes(2027, 1, 4)
    assert deadline.fallback_used is True
    assert [h.day for h in deadline.provisional_holidays] == [date(2027, 1, 1)]
    assert deadline.calendar_note is not None
    assert deadline.calendar_note.startswith(
        "2027-01-01 起超出官方节假日数据（至2026年）：按周一至周五计算，法定节假日按"
        "《全国年节及纪念日放假办法》推算，为暂定（本期限内：元旦 2027-01-01）；"
    )
    assert "(in this period: New Year's Day 2027-01-01)" in deadline.calendar_note


def test_statutory_holidays_2027() -> None:
    """2027 by the 2024 revision: 春节 from 除夕 Fri 02-05; weekend days get 补假 weekdays."""
    days = {h.day: (h.name, h.substitute) for h in statutory_holidays(2027)}
    assert days == {
        date(2027, 1, 1): ("元旦", False),
        date(2027, 2, 5): ("春节", False),  # 除夕
        date(2027, 2, 6): ("春节", False),  # 初一 (Sat)
        date(2027, 2, 7): ("春节", False),  # 初二 (Sun)
        date(2027, 2, 8): ("春节", False),  # 初三
        date(2027, 2, 9): ("春节", True),
        date(2027, 2, 10): ("春节", True),
        date(2027, 4, 5): ("清明节", False),
        date(2027, 5, 1): ("劳动节", False),  # Sat
        date(2027, 5, 2): ("劳动节", False),  # Sun
        date(2027, 5, 3): ("劳动节", True),
        date(2027, 5, 4): ("劳动节", True),
        date(2027, 6, 9): ("端午节", False),
        date(2027, 9, 15): ("中秋节", False),
        date(2027, 10, 1): ("国庆节", False),
        date(2027, 10, 2): ("国庆节", False),  # Sat
        date(2027, 10, 3): ("国庆节", False),  # Sun
        date(2027, 10, 4): ("国庆节", True),
        date(2027, 10, 5): ("国庆节", True),
    }


def test_statutory_holidays_2030() -> None:
    """2030: 春节 初一 is Sun 02-03, so 除夕 Sat 02-02 and 初一 give 补假 Wed 02-06, Thu 02-07."""
    days = {h.day: (h.name, h.substitute) for h in statutory_holidays(2030)}
    assert days == {
        date(2030, 1, 1): ("元旦", False),
        date(2030, 2, 2): ("春节", False),
        date(2030, 2, 3): ("春节", False),
        date(2030, 2, 4): ("春节", False),
        date(2030, 2, 5): ("春节", False),
        date(2030, 2, 6): ("春节", True),
        date(2030, 2, 7): ("春节", True),
        date(2030, 4, 5): ("清明节", False),
        date(2030, 5, 1): ("劳动节", False),
        date(2030, 5, 2): ("劳动节", False),
        date(2030, 6, 5): ("端午节", False),
        date(2030, 9, 12): ("中秋节", False),
        date(2030, 10, 1): ("国庆节", False),
        date(2030, 10, 2): ("国庆节", False),
        date(2030, 10, 3): ("国庆节", False),
    }


def test_spring_festival_2030_deadline_skips_the_derived_week() -> None:
    """Fri 2030-02-01 + 1: 02-02…02-07 are 春节 (with 补假), so Fri 02-08, and the note lists it."""
    deadline = add_working_days(at(2030, 2, 1), 1)
    assert deadline.due_at == closes(2030, 2, 8)
    assert deadline.calendar_note is not None
    assert "（本期限内：春节 2030-02-02至02-07（含补假））" in deadline.calendar_note
    assert "(in this period: Spring Festival 2030-02-02 to 02-07 (incl. substitute days))" in (
        deadline.calendar_note
    )
    assert working_days_between(date(2030, 1, 31), date(2030, 2, 8)) == 2
    workdays = Workdays(date(2030, 1, 1), date(2030, 12, 31))
    assert [workdays.is_working(date(2030, 5, d)) for d in (1, 2, 3)] == [False, False, True]
    assert workdays.next_after(date(2030, 9, 11)) == date(2030, 9, 13)  # 中秋 Thu 09-12


def test_admin_entries_override_derived_holidays() -> None:
    """The announced 2027 arrangement, entered by an admin, wins over the derived days."""
    workday(date(2027, 10, 5), "国庆节调休后上班")  # derived 补假, announced as a working day
    workday(date(2027, 10, 9), "国庆节调休上班")  # a 调休 Saturday
    holiday(date(2027, 10, 6), "国庆节")  # announced off, not derived
    assert is_working_day(date(2027, 10, 4)) is False  # still the derived 补假
    # Thu 09-30 + 2: 10-01…10-04 off (derived), Tue 10-05 (admin), Wed 10-06 off (admin), Thu 10-07.
    deadline = add_working_days(at(2027, 9, 30), 2)
    assert deadline.due_at == closes(2027, 10, 7)
    assert [h.day.day for h in deadline.provisional_holidays] == [1, 2, 3, 4]
    assert next_working_day(date(2027, 10, 8)) == date(2027, 10, 9)


@pytest.mark.parametrize("year", range(2020, 2027))
def test_derived_holidays_agree_with_the_official_data(year: int) -> None:
    """2020–2026: each derived day (the lunar dates and 清明 from lunar_python, 补假 included) is
    a holiday of the same festival in chinesecalendar's data (2013 rules up to 2024, then 2024)."""
    derived = statutory_holidays(year)
    festivals = {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    if year == 2020:
        festivals.remove("中秋节")  # 中秋 on 国庆 10-01: one day off, 国庆's
    assert {h.name for h in derived} == festivals
    for h in derived:
        assert chinese_calendar.get_holiday_detail(h.day) == (True, h.name_en), h
    spring = [h.day for h in derived if h.name == "春节" and not h.substitute]
    assert len(spring) == (4 if year >= 2025 else 3)


def test_years_before_the_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="from 2014"):
        statutory_holidays(2013)


def test_crossing_into_2027_notes_the_first_day_beyond_the_data() -> None:
    """Wed 2026-12-30 + 2 with 元旦 2027-01-01 entered by an admin: 12-31, then Mon 2027-01-04;
    the admin's day is not listed as provisional."""
    holiday(date(2027, 1, 1), "元旦")
    deadline = add_working_days(at(2026, 12, 30), 2)
    assert deadline.due_at == closes(2027, 1, 4)
    assert deadline.fallback_used is True
    assert deadline.provisional_holidays == ()
    assert deadline.calendar_note is not None
    assert deadline.calendar_note.startswith("2027-01-01 起超出官方节假日数据（至2026年）")


def test_within_data_has_no_note_even_when_start_is_late_december() -> None:
    """Mon 2026-12-28 + 1 is Tue 12-29: nothing counted lies beyond the data."""
    deadline = add_working_days(at(2026, 12, 28), 1)
    assert deadline.due_at == closes(2026, 12, 29)
    assert deadline.calendar_note is None
    assert deadline.fallback_used is False


def test_admin_holiday_and_tiaoxiu_saturday_in_2027() -> None:
    """Admin entries in 2027: holiday Mon 03-08 skipped; 调休 Sat 03-06 counted."""
    holiday(date(2027, 3, 8))
    # Fri 03-05 + 1: Sat/Sun skipped, Mon is the admin holiday, so Tue 03-09.
    assert add_working_days(at(2027, 3, 5), 1).due_at == closes(2027, 3, 9)
    workday(date(2027, 3, 6))
    # Now Sat 03-06 is a 调休 working day: Fri + 1 is Sat, Fri + 2 is Tue (Mon still off).
    assert add_working_days(at(2027, 3, 5), 1).due_at == closes(2027, 3, 6)
    assert add_working_days(at(2027, 3, 5), 2).due_at == closes(2027, 3, 9)
    assert next_working_day(date(2027, 3, 5)) == date(2027, 3, 6)


def test_admin_override_inside_official_data_takes_precedence() -> None:
    """2025: an admin holiday on a normal Wednesday and a working 国庆 day both win."""
    holiday(date(2025, 6, 4), "临时放假")
    assert add_working_days(at(2025, 6, 3), 1).due_at == closes(2025, 6, 5)
    assert is_working_day(date(2025, 10, 1)) is False
    workday(date(2025, 10, 1), "值班")
    assert add_working_days(at(2025, 9, 30), 1).due_at == closes(2025, 10, 1)
    assert is_working_day(date(2025, 10, 1)) is True


def test_long_admin_holiday_beyond_first_window_is_still_skipped() -> None:
    """60 admin holidays from 2027-03-01 push Fri 02-26 + 1 past them, to Fri 04-30."""
    first = date(2027, 3, 1)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=first + timedelta(days=i), is_working_day=False) for i in range(60)
    )
    assert add_working_days(at(2027, 2, 26), 1).due_at == closes(2027, 4, 30)


@pytest.mark.parametrize("days", [0, -3])
def test_fewer_than_one_working_day_is_rejected(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(at(2022, 9, 29), days)


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_days(datetime(2022, 9, 29, 10, 0), 1)


def test_working_days_between_counts_half_open_interval() -> None:
    """(09-30, 10-11] in 2022: 10-08, 10-09 (调休), 10-10, 10-11 — the holiday week is not."""
    assert working_days_between(date(2022, 9, 30), date(2022, 10, 11)) == 4
    assert working_days_between(date(2022, 10, 11), date(2022, 10, 11)) == 0
    assert working_days_between(date(2022, 10, 11), date(2022, 9, 30)) == 0


def test_working_days_between_across_the_data_boundary() -> None:
    """(2026-12-30, 2027-01-05]: 12-31, 01-04, 01-05 (元旦 derived)."""
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 5)) == 3


def test_one_query_per_call(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    """Overrides are loaded once per call, not once per day, even over 30 working days."""
    holiday(date(2027, 3, 10))
    with django_assert_num_queries(1):
        deadline = add_working_days(at(2027, 3, 1), 30)
    # 30 Mon–Fri days after Mon 03-01, but 03-10 (admin) and 清明 04-05 (derived) off: Wed 04-14.
    assert deadline.due_at == closes(2027, 4, 14)
    with django_assert_num_queries(1):
        assert add_working_days(at(2022, 9, 29), 30).due_at == closes(2022, 11, 15)
    with django_assert_num_queries(1):
        assert working_days_between(date(2027, 3, 1), date(2027, 4, 14)) == 30
    with django_assert_num_queries(1):
        assert is_working_day(date(2027, 3, 10)) is False
    with django_assert_num_queries(1):
        assert next_working_day(date(2027, 3, 9)) == date(2027, 3, 11)


def test_thirty_working_days_across_national_day() -> None:
    """30 working days from 2022-09-29 skip the whole National Day week."""
    assert add_working_days(at(2022, 9, 29), 30).due_at == closes(2022, 11, 15)
