"""Unit heads, the dashboard and notification settings in a real browser: a head sees exactly
their unit's pending people and reminds them, and a staff member of the unit sees the reminder in
the badge; the dashboard's figures for a seeded week equal the API's; a person turns email off.
Accessible (axe) on every page state, on a phone and a desktop."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from circulation.records.actors import Actor
from circulation.records.models import Person
from tests.browser.builders import (
    DESKTOP,
    PASSWORD,
    PHONE,
    WatchedPage,
    assert_accessible,
    screenshot,
    sign_in,
)
from tests.builders import Bureau
from tests.helpers import ack_of, circulating_notice, opened_ack, registered_notice
from tests.web.test_dashboard import WEEK, api_numbers, seed_week
from workflows.models import NotificationPreference
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def with_password(person: Person) -> Person:
    person.set_password(PASSWORD)
    person.save()
    return person


def test_a_head_reminds_their_pending_people_and_a_staff_member_sees_it_in_the_badge(
    watched_page: WatchedPage, bureau: Bureau
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    opened_ack(notice, "gyg_1")
    opened_ack(notice, "gyg_2")
    confirm_acknowledgement(Actor(bureau.person("gyg_2")), ack_of(notice, "gyg_2").pk)
    with_password(bureau.person("gyg_head"))
    with_password(bureau.person("gyg_3"))

    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_head")
    page.get_by_role("link", name="本机构").click()
    page.get_by_role("heading", name="传阅中的收文").wait_for()
    card = page.locator(f"#n{notice.pk}-u{bureau.units['GYG'].pk}")
    people = card.locator(".pending-people li").evaluate_all(
        "items => items.map(item => item.dataset.username)"
    )
    assert sorted(people) == ["gyg_1", "gyg_3", "gyg_head"]  # not gyg_2, no one of 中小企业中心
    assert "已确认 1/4" in card.inner_text()
    assert_accessible(page)
    screenshot(page, "unit-phone")

    card.get_by_role("button", name="提醒这 3 人").click()
    page.get_by_text("已提醒 工业股 3 人").wait_for()
    assert "下次可提醒时间" in page.locator(f"#n{notice.pk}-u{bureau.units['GYG'].pk}").inner_text()
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "unit-desktop")
    # Again at once: refused, with when it is allowed.
    page.get_by_role("button", name="提醒这 3 人").click()
    page.get_by_role("alert").wait_for()
    assert "刚刚催办过" in page.get_by_role("alert").inner_text()
    page.get_by_role("button", name="退出").click()

    sign_in(page, "gyg_3")
    badge = page.locator("#unread-badge")
    assert badge.inner_text() == "2"  # the forward and the head's reminder
    page.get_by_role("link", name=re.compile("通知")).first.click()
    page.get_by_role("heading", name="通知", exact=True).wait_for()
    assert "催办" in page.locator("main").inner_text()
    # The refused reminder's page came with its status (429); the browser logs that, nothing else.
    assert watched_page.errors() == [
        "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
    ]


def seed_earlier_week(bureau: Bureau) -> None:
    with time_machine.travel(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI), tick=False):
        notice = registered_notice(bureau.clerk, "舞工信〔2022〕20号")
        forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=("BGS", "GYG")))
    for username, hours in (("bgs_1", 3), ("bgs_2", 5), ("bgs_3", 20), ("gyg_1", 26)):
        moment = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI) + timedelta(hours=hours)
        with time_machine.travel(moment, tick=False):
            opened_ack(notice, username)
            confirm_acknowledgement(Actor(bureau.person(username)), ack_of(notice, username).pk)


def numbers_on(page: object) -> dict[str, str]:
    return page.locator("[data-stat]").evaluate_all(  # type: ignore[attr-defined,no-any-return]
        "cells => Object.fromEntries(cells.map(c => [c.dataset.stat, c.textContent.trim()]))"
    )


def test_the_dashboards_figures_for_a_seeded_week_equal_the_apis(
    watched_page: WatchedPage, bureau: Bureau
) -> None:
    seed_week(bureau)
    seed_earlier_week(bureau)
    with_password(bureau.clerk)
    page = watched_page.page
    page.set_viewport_size(DESKTOP)
    sign_in(page, "clerk")
    page.get_by_role("link", name="传阅统计").click()
    page.get_by_role("heading", name="传阅统计", exact=True).wait_for()
    page.get_by_label("开始日期").fill(WEEK["from"])
    page.get_by_label("结束日期").fill(WEEK["to"])
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"from=2026-11-23"))
    api = page.request.get(f"/api/v1/stats/?from={WEEK['from']}&to={WEEK['to']}").json()
    assert api["total"] == 8
    assert numbers_on(page) == api_numbers(api)
    assert_accessible(page)

    # Two weeks, for the charts; the tables open (数据表) and still equal the API.
    page.goto("/dashboard/?from=2026-11-16&to=2026-11-29")
    api = page.request.get("/api/v1/stats/?from=2026-11-16&to=2026-11-29").json()
    assert numbers_on(page) == api_numbers(api)
    assert len(api["by_week"]) == 2
    page.get_by_text("数据表").first.click()
    assert page.get_by_role("table").first.is_visible()
    assert_accessible(page)
    screenshot(page, "dashboard-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "dashboard-phone")
    assert watched_page.errors() == []


def test_a_person_turns_email_off_and_sees_their_recent_reminders(
    watched_page: WatchedPage, bureau: Bureau
) -> None:
    from workflows.services.reminding import remind_notice

    notice = circulating_notice(bureau.clerk, units=("GYG",))
    remind_notice(Actor(bureau.clerk), notice.pk)
    person = with_password(bureau.person("gyg_1"))
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_1")
    page.goto("/notifications/")
    page.get_by_role("link", name="通知设置").click()
    page.get_by_role("heading", name="通知设置").wait_for()
    assert page.get_by_label("站内通知").is_checked()
    assert page.get_by_label("站内通知").is_disabled()
    assert "人工催办" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "preferences-phone")
    page.get_by_label("电子邮件").uncheck()
    page.get_by_role("button", name="保存").click()
    page.get_by_text("通知设置已保存").wait_for()
    assert not page.get_by_label("电子邮件").is_checked()
    assert NotificationPreference.objects.get(person=person).email is False
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "preferences-desktop")
    assert watched_page.errors() == []
