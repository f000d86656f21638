"""The archivist in a real browser: archives a completed notice as 定期30年 and gets the 档号 that
was previewed, finds it by searching 数字 (two characters), opens it, verifies it and downloads
the catalogue of its year; staff get 404. Accessible on every page state, phone and desktop."""

import csv
import io
from typing import Any

import pytest
from playwright.sync_api import Page

from circulation.archive.models import ArchivedRecord
from circulation.records.models import Person
from tests.archive.builders import completed_notice
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

pytestmark = pytest.mark.django_db(transaction=True)

DIGITAL = "关于转发《国务院关于加强数字政府建设的指导意见》的通知"


def with_password(person: Person) -> Person:
    person.set_password(PASSWORD)
    person.save()
    return person


def both_sizes(page: Page, name: str) -> None:
    """axe and a screenshot on a phone, then on a desktop (the page stays on the desktop)."""
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    screenshot(page, f"{name}-desktop")


def test_the_archivist_archives_finds_verifies_and_downloads_the_catalogue(
    watched_page: WatchedPage, bureau: Bureau, media: Any
) -> None:
    notice = completed_notice(bureau, title=DIGITAL)
    with_password(bureau.archivist)
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "archivist")

    # the queue: the completed notice, oldest first
    page.get_by_role("link", name="档案", exact=True).click()
    page.get_by_role("heading", name="待归档的收文").wait_for()
    assert "舞工信〔2022〕25号" in page.locator("table.archive-table").inner_text()
    both_sizes(page, "archive-queue")

    # the form: 定期30年, the 档号 previewed (swapped in when the 保管期限 changes)
    page.get_by_role("link", name="归档 舞工信〔2022〕25号").click()
    page.get_by_role("heading", name=f"归档：{DIGITAL}").wait_for()
    page.get_by_label("永久").check()
    page.locator("#previewed-code", has_text="-Y-BGS-").wait_for()
    page.get_by_label("定期30年").check()
    preview = page.locator("#previewed-code", has_text="-D30-BGS-")
    preview.wait_for()
    previewed = preview.inner_text()
    assert previewed == "Z109-WS·2022-D30-BGS-0001"
    both_sizes(page, "archive-form")

    page.get_by_role("button", name="检测并归档").click()
    page.locator("#archival-code").wait_for(timeout=60_000)  # rendering the record takes seconds
    assert page.locator("#archival-code").inner_text() == previewed
    page.get_by_text(f"已归档，档号 {previewed}。").wait_for()
    assert ArchivedRecord.objects.get(notice=notice).archival_code == previewed

    # search 数字: the hit highlighted, and it opens the record page
    page.get_by_role("link", name="检索", exact=True).click()
    page.get_by_label("关键词（题名、文号、责任者、正文）").fill("数字")
    page.get_by_role("button", name="检索", exact=True).click()
    page.get_by_role("heading", name="找到 1 件").wait_for()
    assert page.locator(".hit mark").first.inner_text() == "数字"
    both_sizes(page, "archive-search")
    page.get_by_role("link", name=DIGITAL).click()
    page.locator("#archival-code", has_text=previewed).wait_for()

    # verify now: the result and when it was checked
    # Enter on the button: a click's coordinates can miss while the PDF viewer above settles.
    page.get_by_role("button", name="立即校验").press("Enter")
    result = page.locator("#verify-result")
    result.get_by_text("完好").wait_for()
    assert "最近校验时间：" in result.inner_text()
    page.locator("iframe.sealed-pdf").wait_for()
    both_sizes(page, "archive-record")

    # the catalogue of 2022, on screen and as CSV (with the row)
    page.get_by_role("link", name="归档文件目录", exact=True).click()
    page.get_by_role("heading", name="2022 年度归档文件目录").wait_for()
    assert previewed in page.locator("table.catalogue-table").inner_text()
    both_sizes(page, "archive-catalogue")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 CSV").click()
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[1][1:3] == [previewed, "舞工信〔2022〕25号"]
    assert watched_page.errors() == []


def test_staff_get_404_on_archive_pages(watched_page: WatchedPage, bureau: Bureau) -> None:
    with_password(bureau.person("gyg_1"))
    page = watched_page.page
    page.set_viewport_size(PHONE)
    sign_in(page, "gyg_1")
    assert page.get_by_role("link", name="档案", exact=True).count() == 0
    for url in ("/archive/", "/archive/search/?q=数字", "/archive/catalogue/"):
        response = page.goto(url)
        assert response is not None
        assert response.status == 404, url
