"""The whole 批办 path in Debian's Chromium (Playwright), each person in their own browser: the
clerk writes the 拟办意见 on a desktop, the leader agrees in one tap on a 375-px phone, the 承办
unit's head accepts and records the 办理结果 on a phone, the clerk records the 答复 and the
批办看板 empties. axe-core on every page state; no CSP refusal in any console."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from circulation.records.models import Assignment, HandlingCase, Instruction, Notice
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
from tests.web.test_handling_pages import action_notice, add_leaders
from workflows.machines import AssignmentState, HandlingState, InstructionState

pytestmark = pytest.mark.django_db(transaction=True)

PROPOSAL = "拟请工业股牵头办理，报赵局长阅示。"


REPORT = small_pdf("申报汇总")


@pytest.fixture
def office(bureau: Bureau, media: Any) -> Bureau:
    add_leaders(bureau)
    for username in ("clerk", "leader_1", "gyg_head"):
        person = bureau.person(username)
        person.set_password(PASSWORD)
        person.save()
    return bureau


@pytest.fixture
def people(browser: Browser, live_server: Any) -> Iterator[dict[str, WatchedPage]]:
    """A browser context per person: the clerk on a desktop, the leader and the unit on phones."""
    contexts = []
    pages: dict[str, WatchedPage] = {}
    for name, viewport in (("clerk", DESKTOP), ("leader_1", PHONE), ("gyg_head", PHONE)):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
        contexts.append(context)
        watched = WatchedPage(page=context.new_page())
        watched.page.on("console", lambda message, w=watched: w.console.append(message))
        watched.page.on("pageerror", lambda error, w=watched: w.page_errors.append(str(error)))
        pages[name] = watched
    yield pages
    for context in contexts:
        context.close()


def fits_the_phone(page: Page) -> None:
    """Nothing wider than the 375-px screen (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_the_whole_path_with_the_leader_on_a_phone(
    office: Bureau, people: dict[str, WatchedPage], live_server: Any
) -> None:
    notice: Notice = action_notice(office)

    # 拟办: the clerk, from the notice page
    clerk = people["clerk"].page
    sign_in(clerk, "clerk")
    clerk.goto(f"/notices/{notice.pk}/")
    expect(clerk.get_by_text("待拟办（收发员）")).to_be_visible()
    clerk.get_by_role("link", name="拟办", exact=True).click()
    clerk.get_by_role("heading", name="拟办：", exact=False).first.wait_for()
    assert_accessible(clerk)
    clerk.get_by_role("button", name="送领导批示").click()  # nothing filled in
    expect(clerk.get_by_role("alert")).to_contain_text("请填写拟办意见")
    assert_accessible(clerk)
    clerk.get_by_label("拟办意见", exact=True).fill(PROPOSAL)
    clerk.get_by_label("主办单位", exact=True).select_option("GYG")
    clerk.get_by_label("按姓名或拼音首字母查找传阅人员", exact=True).fill("bgs_1")
    clerk.get_by_role("checkbox", name="bgs_1").check()
    expect(clerk.locator("#readers-chosen")).to_contain_text("bgs_1")
    clerk.get_by_role("checkbox", name="赵局长").check()
    clerk.get_by_label("来文单位需要答复", exact=True).check()
    screenshot(clerk, "propose-desktop")
    clerk.get_by_role("button", name="送领导批示").click()
    expect(clerk.get_by_text("拟办意见已送领导批示。")).to_be_visible()
    expect(clerk.get_by_text("待 赵局长 批示")).to_be_visible()
    assert_accessible(clerk)  # the notice page with its 批办 section
    case = HandlingCase.objects.get(notice=notice)
    assert {p.username for p in case.readers.all()} == {"bgs_1"}

    # 批示: the leader on a 375-px phone, from the nav's 批办 to one tap
    leader = people["leader_1"].page
    sign_in(leader, "leader_1")
    leader.get_by_role("link", name="批办", exact=True).click()
    leader.get_by_role("heading", name="批办", level=1).wait_for()
    assert_accessible(leader)
    fits_the_phone(leader)
    screenshot(leader, "handling-inbox-phone")
    leader.get_by_role("link", name=notice.title).click()
    agree = leader.get_by_role("button", name="同意拟办意见")
    expect(agree).to_be_visible()
    expect(leader.get_by_text(PROPOSAL)).to_be_visible()
    box = agree.bounding_box()
    assert box is not None
    assert box["width"] >= 300  # one big button, the whole width of the phone
    assert box["height"] >= 48
    assert box["y"] + box["height"] <= PHONE["height"] * 2  # near the top, not buried
    assert_accessible(leader)
    fits_the_phone(leader)
    leader.get_by_text("改定承办单位或传阅人员").click()  # the disclosure opens
    expect(leader.get_by_label("承办单位", exact=True)).to_be_visible()
    assert_accessible(leader)
    fits_the_phone(leader)
    leader.get_by_text("改定承办单位或传阅人员").click()
    screenshot(leader, "instruction-phone")
    agree.click()
    expect(leader.get_by_text("已同意拟办意见")).to_be_visible()
    expect(leader.get_by_text("没有待批示的收文。")).to_be_visible()
    instruction = Instruction.objects.get(case=case)
    assert instruction.state == InstructionState.GIVEN
    assert instruction.kind == "agree"

    # 承办: the 工业股 head on a phone
    unit = people["gyg_head"].page
    sign_in(unit, "gyg_head")
    unit.get_by_role("link", name="批办", exact=True).click()
    unit.get_by_role("link", name=notice.title).click()
    expect(unit.get_by_role("heading", name="工业股（主办）")).to_be_visible()
    assert_accessible(unit)
    fits_the_phone(unit)
    unit.get_by_role("button", name="接收").click()
    expect(unit.get_by_text("已接收，请按时限办理。")).to_be_visible()
    unit.get_by_role("button", name="登记办理结果").click()  # empty
    expect(unit.get_by_role("alert")).to_contain_text("请填写办理结果")
    assert_accessible(unit)
    unit.locator("#attachment-input").set_input_files(  # the 登记 page's drop zone, reused
        files=[{"name": "申报汇总.pdf", "mimeType": "application/pdf", "buffer": REPORT}]
    )
    expect(unit.locator("#uploads")).to_contain_text("上传完成")
    assert_accessible(unit)
    unit.get_by_label("办理结果", exact=True).fill("已组织 12 家企业申报。")
    unit.get_by_role("button", name="登记办理结果").click()
    expect(unit.get_by_text("办理结果已登记。")).to_be_visible()
    expect(unit.get_by_role("link", name="申报汇总.pdf")).to_be_visible()
    screenshot(unit, "assignment-phone")
    lead = Assignment.objects.get(case=case)
    assert lead.state == AssignmentState.RESULTED
    assert [f.original_name for f in lead.attachments.all()] == ["申报汇总.pdf"]
    case.refresh_from_db()
    assert case.state == HandlingState.RESULTED  # a 答复 is expected

    # 答复 and the board: the clerk
    clerk.goto("/board/")
    clerk.get_by_role("link", name="批办看板：批办收文在等谁").click()
    expect(clerk.get_by_text("待登记答复（收发员）")).to_be_visible()
    assert_accessible(clerk)
    screenshot(clerk, "handling-board-desktop")
    clerk.get_by_role("link", name="去登记答复").click()
    clerk.get_by_label("答复内容", exact=True).fill("已按要求函复。")
    clerk.get_by_label("答复方式", exact=True).select_option("exchange")
    assert_accessible(clerk)
    clerk.get_by_role("button", name="登记答复").click()
    expect(clerk.get_by_text("答复已登记。")).to_be_visible()
    case.refresh_from_db()
    assert case.state == HandlingState.DONE
    clerk.goto("/board/handling/")  # bgs_1 has not confirmed their 阅知 yet
    expect(clerk.get_by_text("已办毕，待传阅人员确认")).to_be_visible()

    # No CSP refusal, no script error: the only console errors are Chromium's notes of the
    # two forms sent empty on purpose (answered 400 with the page and its errors).
    for name, watched in people.items():
        failed = {
            message.location["url"].removeprefix(live_server.url)
            for message in watched.console
            if message.type == "error" and message.text.startswith("Failed to load resource")
        }
        assert failed <= {
            f"/notices/{notice.pk}/handling/propose/",
            f"/handling/assignments/{lead.pk}/",
        }, name
        assert [e for e in watched.errors() if not e.startswith("Failed to load resource")] == []
