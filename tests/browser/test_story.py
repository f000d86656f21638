"""The whole story of the sample notice in a real browser, through the pages only (issue 10).

The clerk registers 舞工信〔2022〕25号 (typed as the variant 舞工信[2022]25号 and corrected),
attaches a PDF and forwards it to all 股室 with 5 working days; two staff confirm (one on a
375×812 phone, one with the keyboard only), a third returns it with a reason; the clerk sees
who is pending, sends a 催办 and the recipients' badges count it; the last confirmation
completes the notice (办结) and the clerk opens the record PDF. Each person has their own
browser context; axe-core checks every new page state and no page logs an error (the CSP
refused nothing).

Then the small ones: the sign-in lock-out's message in the browser, and the interface language
kept on the account (switch to English, sign out, sign in on another browser: English). The 404
for another unit's notice and the English switch are in ``test_clerk_board.py`` and
``test_signin_page.py``.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from circulation.records.models import Acknowledgement, Notice, Person
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
from tests.helpers import small_pdf
from workflows.machines import AckState, NoticeState

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"


class People:
    """A browser context per person (their own cookies), each page's console watched."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.pages: list[WatchedPage] = []
        self._contexts: list[Any] = []

    def open(self, viewport: dict[str, int] = DESKTOP) -> WatchedPage:
        context = self.browser.new_context(
            base_url=self.base_url, locale="zh-CN", viewport=viewport
        )
        self._contexts.append(context)
        page = context.new_page()
        watched = WatchedPage(page=page)
        page.on("console", lambda message: watched.console.append(message))
        page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
        self.pages.append(watched)
        return watched

    def signed_in(self, username: str, viewport: dict[str, int] = DESKTOP) -> Page:
        page = self.open(viewport).page
        sign_in(page, username)
        return page

    def errors(self) -> list[str]:
        return [error for watched in self.pages for error in watched.errors()]

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def people(browser: Browser, live_server: Any, bureau: Bureau, media: Any) -> Iterator[People]:
    """The bureau (clerk, archivist, 办公室 and 工业股 as 股室, a 二级机构), everyone's password
    set; nothing else exists: the story creates the notice through the pages."""
    for person in Person.objects.all():
        person.set_password(PASSWORD)
        person.save()
    crowd = People(browser, live_server.url)
    yield crowd
    crowd.close()


def tab_until_focused(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
    target = page.locator(selector)
    for _press in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus with Tab")


def open_from_inbox(page: Page) -> None:
    """From the nav to the notice's reading page, its PDF shown in the page."""
    page.get_by_role("link", name="收件箱").first.click()
    page.get_by_role("heading", name="收件箱", level=1).wait_for()
    with page.expect_response(re.compile(r"/notices/\d+/attachments/\d+/$")) as pdf:
        page.get_by_role("link", name=TITLE).click()
        page.get_by_role("heading", name=TITLE, level=1).wait_for()
    assert pdf.value.status == 200


def confirm(page: Page, comment: str = "", *, tap: bool = False) -> None:
    """Confirm on the reading page: a tap (click), else Enter on the button. The PDF viewer in
    the page may still move the layout while it renders, which a click's coordinates miss."""
    if comment:
        page.get_by_label("学习体会（可不填）").fill(comment)
    button = page.get_by_role("button", name="确认已阅知")
    if tap:
        button.click()
    else:
        button.press("Enter")
    # The last confirmation also completes the notice and queues its record: allow it time.
    expect(page.get_by_role("status")).to_contain_text("已确认", timeout=15_000)


def test_the_sample_notice_from_registration_to_the_record_pdf(
    people: People, bureau: Bureau
) -> None:
    # --- The clerk registers, attaches and forwards -----------------------------------------
    clerk = people.signed_in("clerk")
    assert_accessible(clerk)
    clerk.get_by_role("link", name="登记收文").click()
    clerk.get_by_role("heading", name="登记收文").wait_for()
    assert_accessible(clerk)
    clerk.get_by_label("发文字号").press_sequentially("舞工信[2022]25号", delay=20)
    expect(clerk.locator("#doc-number-check")).to_contain_text("规范写法：舞工信〔2022〕25号")
    assert_accessible(clerk)
    clerk.get_by_label("标题").fill(TITLE)
    clerk.get_by_label("发文机关").fill("舞阳县工业和信息化局")
    clerk.get_by_label("文种").fill("通知")
    clerk.get_by_label("密级").select_option("public")
    clerk.get_by_role("button", name="签收并登记").click()

    clerk.get_by_role("heading", name="上传附件").wait_for()
    assert_accessible(clerk)
    notice = Notice.objects.get()
    assert notice.doc_number == "舞工信〔2022〕25号"
    clerk.locator("#attachment-input").set_input_files(
        files=[
            {
                "name": "数字政府指导意见.pdf",
                "mimeType": "application/pdf",
                "buffer": small_pdf("国务院关于加强数字政府建设的指导意见"),
            }
        ]
    )
    expect(clerk.locator(".upload.done")).to_contain_text("内容检查通过")
    assert_accessible(clerk)

    clerk.get_by_role("link", name="下一步：传阅").click()
    clerk.get_by_role("heading", name=f"传阅：{TITLE}").wait_for()
    assert_accessible(clerk)
    clerk.get_by_label("全部股室").check()
    clerk.get_by_label("办理时限：工作日天数").fill("5")
    expect(clerk.locator("#deadline-result")).to_contain_text("5 个工作日后")
    clerk.get_by_label("传阅要求").fill("请各股室认真学习")
    assert_accessible(clerk)
    clerk.get_by_role("button", name="传阅", exact=True).click()
    clerk.get_by_role("heading", name="已传阅").wait_for()
    assert_accessible(clerk)
    recipients = set(
        Acknowledgement.objects.filter(notice=notice).values_list("person__username", flat=True)
    )
    expected = {f"{unit}_{n}" for unit in ("bgs", "gyg") for n in ("head", "1", "2", "3")}
    assert expected <= recipients
    assert not any(name.startswith("zxfw_") for name in recipients)  # a 二级机构, not a 股室

    # --- On a phone, bgs_1 reads the PDF in the page and confirms with a 学习体会 -------------
    phone = people.signed_in("bgs_1", viewport=PHONE)
    expect(phone.locator("#unread-badge")).to_have_text("1")  # the 传阅通知
    open_from_inbox(phone)
    expect(phone.locator("iframe.attachment-pdf")).to_be_visible()
    assert_accessible(phone)
    confirm(phone, "认真学习了指导意见，将结合工作抓好落实。", tap=True)
    assert_accessible(phone)

    # --- bgs_2 with the keyboard only: sign in, the inbox, the notice, confirm ---------------
    keys = people.open().page
    keys.goto("/signin/")  # the user name field has the focus
    keys.keyboard.type("bgs_2")
    keys.keyboard.press("Tab")
    keys.keyboard.type(PASSWORD)
    keys.keyboard.press("Enter")
    keys.wait_for_url(lambda url: "/signin/" not in url)
    tab_until_focused(keys, "nav a[href='/inbox/']")
    keys.keyboard.press("Enter")
    keys.get_by_role("heading", name="收件箱", level=1).wait_for()
    assert_accessible(keys)
    tab_until_focused(keys, f"a:text('{TITLE}')")
    keys.keyboard.press("Enter")
    keys.get_by_role("heading", name=TITLE, level=1).wait_for()
    tab_until_focused(keys, "#id_comment")
    keys.keyboard.type("已学习")
    keys.keyboard.press("Tab")
    assert keys.evaluate("document.activeElement.textContent.trim()") == "确认已阅知"
    keys.keyboard.press("Enter")
    expect(keys.get_by_role("status")).to_contain_text("已确认")
    expect(keys.locator("#ack-panel-heading")).to_be_focused()
    assert_accessible(keys)

    # --- gyg_1 returns it with a reason -------------------------------------------------------
    returner = people.signed_in("gyg_1")
    open_from_inbox(returner)
    # Keys, not clicks: a click's coordinates can miss while the PDF viewer in the page settles.
    returner.get_by_text("退回此件").press("Enter")
    returner.get_by_label("退回原因").fill("误发：本人已调离工业股")
    returner.get_by_role("button", name="退回", exact=True).press("Enter")
    expect(returner.get_by_role("status")).to_contain_text("已退回")
    assert_accessible(returner)

    # A pending recipient has their page open before the 催办: one unread (the 传阅通知).
    waiting = people.signed_in("gyg_2")
    expect(waiting.locator("#unread-badge")).to_have_text("1")

    # --- The clerk sees who is pending and sends a 催办 ---------------------------------------
    pending = sorted(recipients - {"bgs_1", "bgs_2", "gyg_1"})
    names = dict(Person.objects.values_list("username", "display_name"))
    clerk.get_by_role("link", name="传阅看板").click()
    clerk.get_by_role("heading", name="传阅看板").wait_for()
    row = clerk.locator(f"#notice-{notice.pk}")
    expect(row).to_contain_text(f"已确认 2/{len(recipients)}")
    assert_accessible(clerk)
    row.get_by_role("link", name=TITLE).click()
    clerk.get_by_role("heading", name=TITLE).wait_for()
    roster = clerk.locator("#roster")
    for username in pending:
        expect(roster).to_contain_text(names[username])
    for username in ("bgs_1", "bgs_2"):
        expect(roster).not_to_contain_text(names[username])
    assert_accessible(clerk)
    clerk.get_by_role("link", name="已退回").click()
    clerk.get_by_role("cell", name="误发：本人已调离工业股").wait_for()
    assert_accessible(clerk)

    clerk.get_by_role("link", name="传阅看板").click()
    clerk.get_by_role("heading", name="传阅看板").wait_for()
    clerk.locator(f"#notice-{notice.pk}").get_by_role("button", name="催办").click()
    feedback = clerk.locator(f"#notice-{notice.pk} .feedback")
    expect(feedback).to_contain_text(f"已催办 {len(pending)} 人")
    expect(feedback).to_contain_text("下次可催办时间")
    assert_accessible(clerk)

    # The recipients' badges count it: the page open before shows 2 when reloaded, and the 催办
    # is in their notifications, linked to the notice.
    waiting.reload()
    expect(waiting.locator("#unread-badge")).to_have_text("2")
    waiting.locator("a.badge-link").click()
    waiting.get_by_role("heading", name="通知", exact=True, level=1).wait_for()
    expect(waiting.locator(".notification.is-unread")).to_have_count(2)
    expect(waiting.locator(".notification-list")).to_contain_text("催办")
    assert_accessible(waiting)
    # Those who had answered were not reminded.
    phone.reload()
    expect(phone.locator("#unread-badge")).to_have_text("1")

    # --- Everybody else confirms; the last confirmation completes the notice ------------------
    open_from_inbox(waiting)
    confirm(waiting)
    for username in pending:
        if username in {"gyg_2", "clerk"}:
            continue
        page = people.signed_in(username)
        expect(page.locator("#unread-badge")).to_have_text("2")  # 传阅通知 and 催办
        open_from_inbox(page)
        confirm(page)
    # The clerk, a member of 办公室, is a recipient too; they also had gyg_1's 退回通知.
    clerk.goto("/")
    expect(clerk.locator("#unread-badge")).to_have_text("3")
    open_from_inbox(clerk)
    confirm(clerk)
    notice.refresh_from_db()
    assert notice.state == NoticeState.COMPLETED
    assert not Acknowledgement.objects.filter(notice=notice, state=AckState.PENDING).exists()

    # --- The clerk sees 办结 and opens the record PDF -----------------------------------------
    clerk.goto(f"/notices/{notice.pk}/")
    clerk.get_by_role("heading", name=TITLE).wait_for()
    expect(clerk.locator("main")).to_contain_text("办结")
    assert_accessible(clerk)
    with clerk.expect_response(re.compile(r"/record\.pdf$")) as answer:
        clerk.get_by_role("link", name="打开阅知确认单（PDF）").click()
    record = answer.value
    assert record.status == 200
    assert record.headers["content-type"] == "application/pdf"
    assert int(record.headers["content-length"]) > 10_000
    clerk.wait_for_url(re.compile(r"^blob:"))  # shown, not the JSON of a 202

    assert people.errors() == []


def test_the_sign_in_lock_out_shows_its_message(
    watched_page: WatchedPage, bureau: Bureau, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    page = watched_page.page
    page.set_viewport_size(PHONE)
    for _attempt in range(2):
        page.goto("/signin/")
        page.get_by_label("用户名").fill("clerk")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")
    # The third failure locks the account: the page says so, and when to try again, in both
    # languages.
    page.get_by_label("密码").fill("wrong-password")
    with page.expect_response(re.compile(r"/signin/$")) as answer:
        page.get_by_role("button", name="登录").click()
    assert answer.value.status == 429
    page.get_by_role("heading", name=re.compile("登录已暂停")).wait_for()
    expect(page.locator("main")).to_contain_text("Sign-in paused")
    expect(page.locator("main")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
    assert_accessible(page)
    screenshot(page, "signin-locked-phone")
    # Even the right password is refused until then.
    page.get_by_role("link", name=re.compile("返回登录页")).click()
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name=re.compile("登录已暂停")).wait_for()
    # The two refused sign-ins' 429s are the only errors the console saw.
    assert (
        watched_page.errors()
        == [
            "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
        ]
        * 2
    )


def test_the_language_chosen_follows_the_person_to_another_browser(
    people: People, bureau: Bureau
) -> None:
    first = people.signed_in("gyg_1")
    first.get_by_role("button", name="English").click()
    first.get_by_role("button", name="中文").wait_for()
    assert first.locator("html").get_attribute("lang") == "en"
    assert_accessible(first)
    first.get_by_role("button", name="Sign out").click()
    first.wait_for_url("**/signin/**")

    # Another browser (no language cookie): the sign-in page in Chinese, English once signed in.
    second = people.open(PHONE).page
    sign_in(second, "gyg_1")
    assert second.locator("html").get_attribute("lang") == "en"
    second.get_by_role("link", name="Inbox").first.click()
    second.get_by_role("heading", name="Inbox", level=1).wait_for()
    assert_accessible(second)

    # Back to Chinese on this browser: kept too, for the next sign-in elsewhere.
    second.get_by_role("button", name="中文").click()
    second.get_by_role("heading", name="收件箱", level=1).wait_for()
    third = people.open().page
    sign_in(third, "gyg_1")
    assert third.locator("html").get_attribute("lang") == "zh-Hans"
    assert people.errors() == []
