"""Working-day calendar (工作日历): official data with 调休, the 2027 fallback, admin overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pytest_django import DjangoAssertNumQueries

from workflows.calendar import (
    add_working_days,
    is_working_day,
    next_working_day,
    official_data_covers,
    working_days_between,
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


def test_2027_falls_back_to_monday_to_friday_with_note() -> None:
    """Beyond the package's data: Fri 2027-03-05 + 1 is Mon 03-08, with a bilingual note."""
    assert not official_data_covers(date(2027, 3, 5))
    deadline = add_working_days(at(2027, 3, 5), 1)
    assert deadline.due_at == closes(2027, 3, 8)
    assert deadline.fallback_used is True
    assert deadline.calendar_note == (
        "2027-03-08 起超出官方节假日数据（至2026年），按周一至周五及管理员录入的节假日计算 / "
        "Beyond the official holiday data (up to 2026): "
        "counted Monday–Friday plus holidays entered by an administrator"
    )


def test_crossing_into_2027_notes_the_first_day_beyond_the_data() -> None:
    """Wed 2026-12-30 + 2 with 元旦 2027-01-01 entered: 12-31, then Mon 2027-01-04."""
    holiday(date(2027, 1, 1), "元旦")
    deadline = add_working_days(at(2026, 12, 30), 2)
    assert deadline.due_at == closes(2027, 1, 4)
    assert deadline.fallback_used is True
    assert deadline.calendar_note is not None
    assert deadline.calendar_note.startswith("2027-01-04 起超出官方节假日数据（至2026年）")


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
    """(2026-12-30, 2027-01-05] with 元旦 entered: 12-31, 01-04, 01-05."""
    holiday(date(2027, 1, 1), "元旦")
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 5)) == 3


def test_one_query_per_call(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    """Overrides are loaded once per call, not once per day, even over 30 working days."""
    holiday(date(2027, 3, 10))
    with django_assert_num_queries(1):
        deadline = add_working_days(at(2027, 3, 1), 30)
    # 30 Mon–Fri days after Mon 03-01, one of them (03-10) an admin holiday: Tue 04-13.
    assert deadline.due_at == closes(2027, 4, 13)
    with django_assert_num_queries(1):
        assert add_working_days(at(2022, 9, 29), 30).due_at == closes(2022, 11, 15)
    with django_assert_num_queries(1):
        assert working_days_between(date(2027, 3, 1), date(2027, 4, 13)) == 30
    with django_assert_num_queries(1):
        assert is_working_day(date(2027, 3, 10)) is False
    with django_assert_num_queries(1):
        assert next_working_day(date(2027, 3, 9)) == date(2027, 3, 11)


def test_thirty_working_days_across_national_day() -> None:
    """30 working days from 2022-09-29 skip the whole National Day week."""
    assert add_working_days(at(2022, 9, 29), 30).due_at == closes(2022, 11, 15)
