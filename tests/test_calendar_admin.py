"""The calendar admin (节假日/调休) shows the derived, provisional holidays and their overrides."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from workflows.models import CalendarDay

pytestmark = pytest.mark.django_db


def derived_section(admin_user: Any) -> str:
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/workflows/calendarday/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="derived-holidays"' in html
    return html[html.index('id="derived-holidays"') :]


def test_changelist_lists_the_derived_holidays_and_the_entries_that_override_them(
    admin_user: Any,
) -> None:
    CalendarDay.objects.create(date=date(2027, 10, 5), is_working_day=True, name="调休上班")
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        html = derived_section(admin_user)
    assert "推算的法定节假日（暂定）" in html
    assert "官方节假日数据只到 2026 年" in html
    assert "<caption>2027</caption>" in html
    assert "2028" not in html  # up to next year only
    assert "2027-01-01 星期五</td>\n          <td>元旦 New Year&#x27;s Day</td>" in html
    row = html[html.index("2027-10-05 星期二") :]
    row = row[: row.index("</tr>")]
    assert "补假" in row
    assert "上班 working 调休上班" in row


def test_next_year_is_shown_late_in_a_derived_year(admin_user: Any) -> None:
    with time_machine.travel(datetime(2029, 11, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        html = derived_section(admin_user)
    captions = [y for y in range(2026, 2032) if f"<caption>{y}</caption>" in html]
    assert captions == [2027, 2028, 2029, 2030]
    assert "2030-02-06 星期三" in html  # 春节补假 2030
