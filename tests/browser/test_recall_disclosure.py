"""In a real browser, on a phone: the clerk opens a recipient's 撤回 disclosure on the notice page;
an empty reason is stopped by the browser, a blank one comes back as an error at the field (named
in the field's description, aria-invalid), a reason recalls the recipient in place (htmx) and the
roster's 全部 view shows the row 已取消. axe-core on each state; the Content-Security-Policy
refuses nothing (the console stays clean)."""

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from circulation.records.models import AuditAction, AuditEvent
from tests.browser.builders import (
    PASSWORD,
    PHONE,
    WatchedPage,
    assert_accessible,
    sign_in,
)
from tests.builders import Bureau
from tests.helpers import ack_of
from tests.web.test_inbox import notice_to
from workflows.machines import AckState

pytestmark = pytest.mark.django_db(transaction=True)


def row_of(page: Page, name: str) -> Locator:
    return page.locator("#roster tbody tr").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )


def test_the_clerk_recalls_one_recipient_on_a_phone(
    watched_page: WatchedPage,
    live_server: Any,
    bureau: Bureau,
) -> None:
    notice = notice_to(bureau, 31, title="关于开展安全生产检查的通知")
    recipient = bureau.person("gyg_2")
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, bureau.clerk.username)
    page.goto(f"/notices/{notice.pk}/")
    page.get_by_role("heading", name=notice.title, level=1).wait_for()

    row = row_of(page, recipient.name)
    summary = row.locator("summary")
    expect(summary).to_have_accessible_name(f"撤回 {recipient.name}")
    summary.click()
    reason = row.get_by_label("撤回原因")
    expect(reason).to_be_visible()
    assert_accessible(page)

    # empty: the browser itself refuses (required), nothing is posted
    row.get_by_role("button", name="确认撤回").click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert ack_of(notice, "gyg_2").state == AckState.PENDING

    # blank: the server's refusal comes back at the field, described and marked invalid
    reason.fill("   ")
    row.get_by_role("button", name="确认撤回").click()
    reason = row_of(page, recipient.name).get_by_label("撤回原因")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("撤回原因"))
    expect(row_of(page, recipient.name).locator("details")).to_have_attribute("open", "")
    expect(reason).to_be_focused()  # announced: the focus is back on the field, with its error
    assert ack_of(notice, "gyg_2").state == AckState.PENDING
    assert_accessible(page)

    # a reason: recalled in place, said in words
    reason.fill("误发，应由综合股阅知")
    row_of(page, recipient.name).get_by_role("button", name="确认撤回").click()
    expect(page.locator("#roster").get_by_role("status")).to_contain_text(
        f"已撤回 {recipient.name} 的阅知"
    )
    expect(page.locator("#roster").get_by_role("status")).to_be_focused()
    expect(row_of(page, recipient.name)).to_have_count(0)  # no longer among the 未确认
    assert_accessible(page)
    page.get_by_role("link", name="全部", exact=True).click()
    recalled = row_of(page, recipient.name)
    expect(recalled).to_contain_text("已取消")
    expect(recalled.locator("summary")).to_have_count(0)  # nothing left to recall
    expect(page.locator("#history, body")).to_contain_text("误发，应由综合股阅知")
    assert_accessible(page)

    assert ack_of(notice, "gyg_2").state == AckState.CANCELLED
    event = AuditEvent.objects.get(notice=notice, action=AuditAction.ACK_RECALLED)
    assert event.data["reason"] == "误发，应由综合股阅知"
    assert watched_page.errors() == []  # no CSP refusal, no script error
