"""Deadlines in working days, as the clerk sees them in the forward response."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.builders import Bureau
from tests.helpers import registered_notice
from workflows.models import CalendarDay

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def forward(api: Any, bureau: Bureau, days: int) -> dict:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/",
        {"units": ["GYG"], "due_working_days": days},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_national_day_2022_with_its_working_weekend(bureau: Bureau, api: Any) -> None:
    with time_machine.travel(datetime(2022, 9, 29, 10, 0, tzinfo=SHANGHAI), tick=False):
        body = forward(api, bureau, 5)
    assert body["due_at"] == "2022-10-11T17:30:00+08:00"
    assert body.get("calendar_note") is None
    ack = api(bureau.person("gyg_1")).get("/api/v1/acknowledgements/").json()["results"][0]
    assert ack["due_at"] == "2022-10-11T17:30:00+08:00"


def test_beyond_the_official_calendar_falls_back_and_says_so(bureau: Bureau, api: Any) -> None:
    CalendarDay.objects.create(
        date=datetime(2027, 3, 3).date(), is_working_day=False, name="测试假日"
    )
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        body = forward(api, bureau, 3)
    # Tue 2, (Wed 3 is an admin holiday), Thu 4, Fri 5.
    assert body["due_at"] == "2027-03-05T17:30:00+08:00"
    assert "2026" in body["calendar_note"]
    assert "Monday" in body["calendar_note"]


def test_national_day_2027_is_derived_and_marked_provisional(bureau: Bureau, api: Any) -> None:
    """No admin entries for 2027: 国庆 10-01…10-03 and its 补假 10-04, 10-05 are skipped."""
    with time_machine.travel(datetime(2027, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        body = forward(api, bureau, 3)
    # Wed 10-06, Thu 10-07, Fri 10-08.
    assert body["due_at"] == "2027-10-08T17:30:00+08:00"
    note = body["calendar_note"]
    assert note.startswith("2027-10-01 起超出官方节假日数据（至2026年）")
    assert "为暂定（本期限内：国庆节 2027-10-01至10-05（含补假））" in note
    assert "National Day 2027-10-01 to 10-05 (incl. substitute days)" in note
    assert "调休上班日每年由国务院公布，无法推算" in note
