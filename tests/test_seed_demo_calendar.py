"""seed_demo tells what the calendar derives for the years after the official holiday data."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from workflows.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_the_provisional_holidays_of_2027() -> None:
    CalendarDay.objects.create(date=date(2027, 1, 1), is_working_day=False, name="元旦")
    out = StringIO()
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        call_command("seed_demo", password="demo-pass-2022", stdout=out)
    lines = out.getvalue().splitlines()
    header = next(line for line in lines if line.startswith("工作日历 Calendar"))
    assert "官方节假日数据至2026年；2027年起法定节假日按" in header
    assert "《全国年节及纪念日放假办法》推算（暂定）" in header
    year = lines[lines.index(header) + 1]
    assert year == (
        "  2027: 春节 2027-02-05至02-10（含补假）、清明节 2027-04-05、"
        "劳动节 2027-05-01至05-04（含补假）、端午节 2027-06-09、中秋节 2027-09-15、"
        "国庆节 2027-10-01至10-05（含补假）（另有 1 天已由管理员录入 entered by an admin）"
    )
