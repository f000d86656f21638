"""The clerk's board and the notice page in a real browser: who is pending, 催办 and when the next
is allowed, a staff member kept out of another unit's notice; accessible, on a phone too."""

from datetime import timedelta

import pytest
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Person
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
from workflows.models import ManualRemind
from workflows.services.acknowledging import confirm_acknowledgement, return_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db(transaction=True)


def with_password(person: Person) -> Person:
    person.set_password(PASSWORD)
    person.save()
    return person


def test_the_clerk_sees_who_is_pending_and_sends_a_reminder(
    watched_page: WatchedPage, bureau: Bureau
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    opened_ack(notice, "gyg_1")
    confirm_acknowledgement(Actor(bureau.person("gyg_1")), ack_of(notice, "gyg_1").pk)
    return_acknowledgement(
        Actor(bureau.person("gyg_2")), ack_of(notice, "gyg_2").pk, "本股不涉及此项工作"
    )
    Acknowledgement.objects.filter(notice=notice, person__username="gyg_3").update(
        due_at=timezone.now() - timedelta(hours=5)
    )
    registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    with_password(bureau.clerk)
    late = bureau.person("gyg_3")

    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "clerk")
    page.get_by_role("link", name="传阅看板").click()
    page.get_by_role("heading", name="传阅看板").wait_for()
    row = page.locator(f"#notice-{notice.pk}")
    assert "已确认 1/8" in row.inner_text()
    assert "逾期 1 人" in row.inner_text()
    row.get_by_text("按机构查看").click()  # the per-unit list is fetched when opened
    row.locator(".by-unit li").filter(has_text="工业股").wait_for()
    assert_accessible(page)
    screenshot(page, "board-phone")

    # the filters swap the table (htmx) and the address keeps them
    page.set_viewport_size(DESKTOP)
    page.get_by_label("只看有逾期的").check()
    page.wait_for_url("**/board/?*overdue=on*")
    assert page.locator("#board-table tbody").count() == 1
    assert_accessible(page)
    screenshot(page, "board-desktop")

    # 催办 with the keyboard; the answer says when the next one is allowed
    page.locator(f"#notice-{notice.pk}").get_by_role("button", name="催办").focus()
    page.keyboard.press("Enter")
    answer = page.locator(f"#notice-{notice.pk} .feedback")
    answer.get_by_text("已催办 6 人").wait_for()
    remind = ManualRemind.objects.get(notice=notice)
    next_at = timezone.localtime(remind.requested_at + timedelta(minutes=30))
    assert f"下次可催办时间 {next_at:%Y-%m-%d %H:%M}" in answer.inner_text()
    page.locator(f"#notice-{notice.pk}").get_by_role("button", name="催办").click()
    page.locator(f"#notice-{notice.pk} .feedback").get_by_text("刚刚催办过").wait_for()
    assert ManualRemind.objects.count() == 1
    assert_accessible(page)

    # the notice page: who is pending or late, with their reminders
    page.locator(f"#notice-{notice.pk}").get_by_role("link", name=notice.title).click()
    page.get_by_role("heading", name=notice.title).wait_for()
    roster = page.locator("#roster")
    assert late.display_name in roster.inner_text()
    late_row = roster.get_by_role("row").filter(has_text=late.display_name)
    assert "逾期" in late_row.inner_text()
    assert "1" in late_row.get_by_role("cell").nth(4).inner_text()  # 催办次数
    assert bureau.person("gyg_1").display_name not in roster.inner_text()
    assert_accessible(page)
    screenshot(page, "notice-desktop")
    page.get_by_role("link", name="已退回").click()
    page.get_by_role("cell", name="本股不涉及此项工作").wait_for()
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    screenshot(page, "notice-phone")
    # Chromium asks for /favicon.ico on its own (the pages link favicon.svg); nothing else failed.
    assert [
        m.text
        for m in watched_page.console
        if m.type == "error" and not m.location["url"].endswith("/favicon.ico")
    ] == []
    assert watched_page.page_errors == []


def test_a_staff_member_sees_their_notice_and_another_units_is_404(
    watched_page: WatchedPage, bureau: Bureau
) -> None:
    theirs = circulating_notice(bureau.clerk, units=("GYG",))
    other = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    forward_notice(Actor(bureau.clerk), other.pk, ForwardRequest(unit_codes=["BGS"]))
    with_password(bureau.person("gyg_1"))

    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_1")
    page.goto(f"/notices/{theirs.pk}/")
    page.get_by_role("heading", name="我的阅知").wait_for()
    assert page.get_by_role("link", name="去阅读并确认").get_attribute("href") == (
        f"/inbox/{ack_of(theirs, 'gyg_1').pk}/"
    )
    assert page.locator("#roster").count() == 0
    assert_accessible(page)
    screenshot(page, "notice-recipient-phone")

    answer = page.goto(f"/notices/{other.pk}/")
    assert answer is not None
    assert answer.status == 404
    assert other.title not in page.content()
    board = page.goto("/board/")
    assert board is not None
    assert board.status == 403
    # only the two refused pages (404, 403) and Chromium's own /favicon.ico failed to load
    expected = ("status of 404", "status of 403")
    assert [
        m.text
        for m in watched_page.console
        if m.type == "error" and not any(code in m.text for code in expected)
    ] == []
    assert watched_page.page_errors == []
