"""传阅统计: the dashboard page and ``GET /api/v1/stats/`` give the same numbers (one selector),
for the clerk, the administrators and the leaders only; constant queries with 10 or 1,000 rows."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Notice, Person, UnitKind
from circulation.records.roles import CLERK
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory, UnitFactory, member
from tests.helpers import ack_of, circulating_notice, opened_ack
from workflows.machines import AckState
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.reminding import remind_notice

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = {"from": "2026-11-23", "to": "2026-11-29"}  # Monday to Sunday


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def seed_week(bureau: Bureau) -> Notice:
    """In the week of 2026-11-23: a notice to 工业股 and 县中小企业服务中心 (8 people) on Tuesday;
    gyg_1 confirms after 2 hours, gyg_2 after 6, zxfw_1 after 30; the clerk reminds the rest on
    Thursday; the deadline (Friday 17:30) passes for the five still open."""
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), tick=False):
        notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    Acknowledgement.objects.filter(notice=notice).update(
        due_at=datetime(2026, 11, 27, 17, 30, tzinfo=SHANGHAI)
    )
    for username, hours in (("gyg_1", 2), ("gyg_2", 6), ("zxfw_1", 30)):
        moment = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI) + timedelta(hours=hours)
        with time_machine.travel(moment, tick=False):
            opened_ack(notice, username)
            confirm_acknowledgement(Actor(bureau.person(username)), ack_of(notice, username).pk)
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI), tick=False):
        remind_notice(Actor(bureau.clerk), notice.pk)
    return notice


def page_numbers(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-stat="([^"]+)">([^<]*)<', html))


def api_numbers(data: dict[str, Any]) -> dict[str, str]:
    """The API's JSON flattened to the page's keys, each number as the page prints it."""

    def text(value: Any) -> str:
        return "—" if value is None else str(value)

    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            for row in value:
                name = row.get("unit", row.get("week_start"))
                for field, number in row.items():
                    if field not in {"unit", "unit_name", "week_start"}:
                        flat[f"{key}.{name}.{field}"] = text(number)
        elif key not in {"from", "to"}:
            flat[key] = text(value)
    return flat


def test_the_page_shows_the_same_numbers_as_the_api_for_a_seeded_week(
    bureau: Bureau, api: Any
) -> None:
    seed_week(bureau)
    answer = api(bureau.clerk).get("/api/v1/stats/", WEEK)
    assert answer.status_code == 200
    data = answer.json()
    assert (data["from"], data["to"]) == ("2026-11-23", "2026-11-29")
    assert (data["total"], data["confirmed"], data["confirmation_rate"]) == (8, 3, 37.5)
    assert (data["overdue"], data["late"]) == (5, 0)
    assert data["median_hours_to_confirm"] == 6.0
    gyg = next(row for row in data["by_unit"] if row["unit"] == "GYG")
    assert (gyg["total"], gyg["confirmed"], gyg["confirmation_rate"]) == (4, 2, 50.0)
    assert gyg["median_hours_to_confirm"] == 4.0
    assert data["by_week"] == [
        {"week_start": "2026-11-23", "total": 8, "confirmed": 3, "confirmation_rate": 37.5}
    ]
    assert data["most_reminded"][0] == {
        "unit": "ZXFW",
        "unit_name": "县中小企业服务中心",
        "reminders": 3,
    }

    page = signed_in(bureau.clerk).get("/dashboard/", WEEK)
    assert page.status_code == 200
    shown = page_numbers(page.content.decode())
    assert shown == api_numbers(data)
    assert shown["by_unit.GYG.confirmation_rate"] == "50.0"
    html = page.content.decode()
    assert html.count('role="img"') == 5
    assert '<title id="chart-rate-unit-title">各机构确认率</title>' in html
    assert "数据表" in html


def test_a_period_without_circulation_answers_zeroes(bureau: Bureau, api: Any) -> None:
    seed_week(bureau)
    data = (
        api(bureau.clerk).get("/api/v1/stats/", {"from": "2026-11-30", "to": "2026-12-01"}).json()
    )
    assert (data["total"], data["confirmation_rate"], data["by_unit"]) == (0, None, [])
    page = signed_in(bureau.clerk).get("/dashboard/", {"from": "2026-11-30", "to": "2026-12-01"})
    assert page_numbers(page.content.decode()) == api_numbers(data)
    assert "这段时间没有传阅的收文" in page.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"from": "2026-13-01"}, "from", "invalid_date"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "from", "invalid_range"),
        ({"from": "2024-01-01", "to": "2026-11-01"}, "to", "range_too_long"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(
    bureau: Bureau, api: Any, query: dict[str, str], field: str, code: str
) -> None:
    answer = api(bureau.clerk).get("/api/v1/stats/", query)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]
    assert error["message_en"]
    page = signed_in(bureau.clerk).get("/dashboard/", query)
    assert page.status_code == 400
    assert f'id="period-{field}-error"' in page.content.decode()


def test_leaders_and_admins_see_the_statistics_staff_and_heads_do_not(
    bureau: Bureau, api: Any
) -> None:
    leadership = UnitFactory(organisation=bureau.org, code="LDBZ", kind=UnitKind.LEADERSHIP)
    leader = member(PersonFactory(username="leader", organisation=bureau.org), leadership)
    admin = PersonFactory(username="boss", organisation=bureau.org, is_staff=True)
    for person in (leader, admin, bureau.clerk):
        assert api(person).get("/api/v1/stats/").status_code == 200
        page = signed_in(person).get("/dashboard/")
        assert page.status_code == 200
        assert 'href="/dashboard/"' in page.content.decode()  # in the nav
    for username in ("gyg_1", "gyg_head"):
        person = bureau.person(username)
        answer = api(person).get("/api/v1/stats/")
        assert answer.status_code == 403
        assert answer.json()["code"] == "permission_denied"
        assert signed_in(person).get("/dashboard/").status_code == 403
        assert 'href="/dashboard/"' not in signed_in(person).get("/").content.decode()


def test_another_organisations_notices_do_not_count(bureau: Bureau, api: Any) -> None:
    seed_week(bureau)
    other_clerk = PersonFactory(
        username="other_clerk",
        organisation=OrganisationFactory(name="舞阳县发展和改革委员会", fonds_code="Z110"),
        roles=[CLERK],
    )
    data = api(other_clerk).get("/api/v1/stats/", WEEK).json()
    assert (data["total"], data["by_unit"], data["most_reminded"]) == (0, [], [])


def add_acks(notice: Notice, count: int) -> None:
    """``count`` more recipients of 工业股 in bulk, a third confirmed, forwarded in the week."""
    round_ = notice.rounds.get(number=1)
    unit = ack_of(notice, "gyg_1").unit
    start = Person.objects.count()
    people = Person.objects.bulk_create(
        Person(username=f"bulk{start + i}", organisation_id=notice.organisation_id)
        for i in range(count)
    )
    forwarded = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    acks = Acknowledgement.objects.bulk_create(
        Acknowledgement(
            notice=notice,
            person=person,
            unit=unit,
            round=round_,
            state=AckState.CONFIRMED if i % 3 == 0 else AckState.PENDING,
            confirmed_at=forwarded + timedelta(hours=i % 7) if i % 3 == 0 else None,
            due_at=timezone.now() - timedelta(days=1),
        )
        for i, person in enumerate(people)
    )
    Acknowledgement.objects.filter(pk__in=[a.pk for a in acks]).update(created_at=forwarded)


@pytest.mark.parametrize("rows", [10, 1000])
def test_queries_do_not_grow_with_the_rows(
    bureau: Bureau, rows: int, django_assert_num_queries: Any, api: Any
) -> None:
    notice = seed_week(bureau)
    add_acks(notice, rows)
    client = signed_in(bureau.clerk)
    client.get("/dashboard/", WEEK)  # warm the session and the permission cache
    with django_assert_num_queries(7):
        page = client.get("/dashboard/", WEEK)
    assert page_numbers(page.content.decode())["total"] == str(8 + rows)
    token_client = api(bureau.clerk)
    with django_assert_num_queries(6):
        assert token_client.get("/api/v1/stats/", WEEK).json()["total"] == 8 + rows
