"""In a real browser on a phone: a staff member away names a colleague on the 代理设置 page, and
the colleague confirms the notice in their own inbox on their behalf ("代 <name>"). axe-core on
every page state; the Content-Security-Policy refuses nothing."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from circulation.records.models import Acknowledgement, Notice
from tests.browser.builders import (
    PASSWORD,
    PHONE,
    WatchedPage,
    assert_accessible,
    sign_in,
)
from tests.builders import Bureau
from tests.web.test_inbox import notice_to
from workflows.machines import AckState

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_delegate_confirms_in_their_inbox_on_a_phone(
    watched_page: WatchedPage,
    browser: Browser,
    live_server: Any,
    bureau: Bureau,
) -> None:
    notice: Notice = notice_to(bureau, 25, title="关于加强数字政府建设的通知")
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    for person in (principal, delegate):
        person.set_password(PASSWORD)
        person.save()

    # The principal, before leaving: 代理设置, on their phone.
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_1")
    page.goto("/delegation/")
    assert_accessible(page)
    page.get_by_label("代理人", exact=True).select_option("gyg_2")
    ends = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("结束时间").fill(ends)
    page.get_by_label("事由（可不填）").fill("赴市里参加培训")
    page.get_by_role("button", name="设置代理", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("代理已设置")
    expect(page.get_by_role("table")).to_contain_text(delegate.name)
    expect(page.get_by_role("table")).to_contain_text("生效中")
    assert_accessible(page)
    assert watched_page.errors() == []

    # The delegate, in their own browser: the principal's item in their inbox, marked.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        other = context.new_page()
        errors: list[str] = []
        other.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        other.set_viewport_size(PHONE)
        sign_in(other, "gyg_2")
        other.goto("/inbox/")
        expect(other.get_by_role("link", name=re.compile("待阅 2"))).to_be_visible()
        marked = other.locator("li.inbox-item", has_text=f"代 {principal.name}")
        expect(marked).to_have_count(1)
        assert_accessible(other)
        marked.get_by_role("link", name=notice.title).click()
        other.get_by_role("heading", name=notice.title, level=1).wait_for()
        expect(other.get_by_role("note")).to_contain_text(f"代 {principal.name} 阅办此件")
        assert_accessible(other)
        other.get_by_label("学习体会（可不填）").fill("已代为学习，回来后转告。")
        other.get_by_role("button", name="确认已阅知").press("Enter")
        expect(other.get_by_role("status")).to_contain_text(
            f"{delegate.name} 代 {principal.name} 于"
        )
        assert_accessible(other)
        assert errors == []
    finally:
        context.close()

    ack = Acknowledgement.objects.get(notice=notice, person=principal)
    assert (ack.state, ack.acted_by_id) == (AckState.CONFIRMED, delegate.pk)
    # the delegate's own item is untouched
    assert Acknowledgement.objects.get(notice=notice, person=delegate).state == AckState.PENDING
