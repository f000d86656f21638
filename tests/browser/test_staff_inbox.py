"""A 股室 member's day in a real browser: the inbox, the reading page with the PDF shown in the
page, confirming with a 学习体会 on a phone, confirming with the keyboard only, returning with a
reason, and the notifications with their badge. axe-core on every page state; screenshots."""

import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Notice
from tests.browser.builders import (
    DESKTOP,
    PASSWORD,
    PHONE,
    WatchedPage,
    assert_accessible,
    screenshot,
    sign_in,
)
from tests.builders import SAMPLE, Bureau
from tests.helpers import small_pdf
from workflows.machines import AckState
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sample_notice(bureau: Bureau, media: Any) -> Notice:
    """舞工信〔2022〕25号 with a PDF, forwarded to 工业股 (a head, three staff), 5 working days."""
    actor = Actor(bureau.clerk)
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on"}}
    notice = register_notice(actor, NoticeInput(**fields)).notice
    data = small_pdf("国务院关于加强数字政府建设的指导意见")
    add_attachment(actor, notice.pk, "指导意见.pdf", io.BytesIO(data), len(data))
    forward_notice(
        actor,
        notice.pk,
        ForwardRequest(unit_codes=["GYG"], instruction="请各股室认真学习", due_working_days=5),
    )
    for username in ("gyg_1", "gyg_2", "gyg_3"):
        person = bureau.person(username)
        person.set_password(PASSWORD)
        person.save()
    return notice


def state_of(notice: Notice, username: str) -> str:
    return Acknowledgement.objects.get(notice=notice, person__username=username).state


def tab_until_focused(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
    target = page.locator(selector)
    for _press in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus with Tab")


def test_on_a_phone_a_staff_member_reads_the_pdf_and_confirms_with_a_comment(
    watched_page: WatchedPage, bureau: Bureau, sample_notice: Notice
) -> None:
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_1")
    page.get_by_role("link", name="收件箱").first.click()
    page.get_by_role("heading", name="收件箱", level=1).wait_for()
    expect(page.get_by_role("link", name=re.compile("待阅 1"))).to_have_attribute(
        "aria-current", "page"
    )
    assert_accessible(page)
    screenshot(page, "inbox-phone")

    with page.expect_response(re.compile(r"/notices/\d+/attachments/\d+/$")) as served:
        page.get_by_role("link", name=sample_notice.title).click()
        page.get_by_role("heading", name=sample_notice.title, level=1).wait_for()
    pdf = served.value
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    expect(page.locator("iframe.attachment-pdf")).to_be_visible()
    assert state_of(sample_notice, "gyg_1") == AckState.READ
    assert_accessible(page)
    screenshot(page, "reading-phone")

    page.get_by_label("学习体会（可不填）").fill("认真学习了指导意见，将结合工作抓好落实。")
    # Enter on the button: a click's coordinates can miss while the PDF viewer above settles.
    page.get_by_role("button", name="确认已阅知").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("已确认")
    expect(page.locator("#ack-panel")).to_contain_text("认真学习了指导意见")
    assert "/inbox/" in page.url  # swapped in place, no reload
    assert state_of(sample_notice, "gyg_1") == AckState.CONFIRMED
    assert_accessible(page)
    screenshot(page, "reading-confirmed-phone")
    assert watched_page.errors() == []


def test_with_the_keyboard_only_a_staff_member_confirms(
    watched_page: WatchedPage, bureau: Bureau, sample_notice: Notice
) -> None:
    page = watched_page.page
    page.set_viewport_size(DESKTOP)
    sign_in(page, "gyg_2")
    page.goto("/inbox/")
    assert_accessible(page)
    screenshot(page, "inbox-desktop")

    tab_until_focused(page, f"a:text('{sample_notice.title}')")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=sample_notice.title, level=1).wait_for()
    assert_accessible(page)
    screenshot(page, "reading-desktop")

    tab_until_focused(page, "#id_comment")
    page.keyboard.type("已学习")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "确认已阅知"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("已确认")
    # The focus lands on the panel's heading, where a screen reader continues.
    expect(page.locator("#ack-panel-heading")).to_be_focused()
    assert state_of(sample_notice, "gyg_2") == AckState.CONFIRMED
    assert watched_page.errors() == []


def test_a_staff_member_returns_it_with_a_reason_and_reads_the_notifications(
    watched_page: WatchedPage, bureau: Bureau, sample_notice: Notice
) -> None:
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_3")
    expect(page.locator("#unread-badge")).to_have_text("1")  # the 传阅通知
    page.goto("/inbox/")
    page.get_by_role("link", name=sample_notice.title).click()
    page.get_by_text("退回此件").press("Enter")
    page.get_by_role("button", name="退回", exact=True).press("Enter")
    expect(page.locator("#ack-panel")).to_contain_text("请填写退回原因")  # shown, not lost
    assert_accessible(page)
    screenshot(page, "reading-return-error-phone")

    page.get_by_label("退回原因").fill("误发：本人已调离工业股")
    page.get_by_role("button", name="退回", exact=True).press("Enter")
    expect(page.get_by_role("status")).to_contain_text("已退回")
    expect(page.locator("#ack-panel")).to_contain_text("误发：本人已调离工业股")
    assert state_of(sample_notice, "gyg_3") == AckState.RETURNED
    assert_accessible(page)

    # The badge in the header (scrolled to first: Playwright misjudges the scroll below the PDF).
    page.locator("a.badge-link").scroll_into_view_if_needed()
    page.locator("a.badge-link").click()
    page.wait_for_url("**/notifications/")
    page.get_by_role("heading", name="通知", exact=True, level=1).wait_for()
    expect(page.locator(".notification.is-unread")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "notifications-phone")
    page.get_by_role("button", name=re.compile("^标为已读")).click()
    expect(page.locator("#unread-badge")).to_have_text("0")
    expect(page.locator(".notification.is-unread")).to_have_count(0)
    expect(page.locator("#notifications-bar")).to_contain_text("未读 0 条")
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    screenshot(page, "notifications-desktop")
    # Only the refused empty reason (the 400 whose errors were shown); no CSP refusal.
    assert watched_page.errors() == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
