"""The sign-in page and the home page in a real browser: usable, accessible, on a phone too."""

import pytest

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


def test_a_clerk_signs_in_with_the_keyboard_and_sees_the_home_page(
    watched_page: WatchedPage, bureau: Bureau
) -> None:
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    page = watched_page.page
    page.set_viewport_size(PHONE)
    page.goto("/")
    assert "/signin/" in page.url
    assert_accessible(page)
    screenshot(page, "signin-phone")

    page.keyboard.press("Tab")  # the skip link first, then the form
    page.get_by_label("用户名").focus()
    page.keyboard.type("clerk")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="您好，王收发").wait_for()
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "home-desktop")
    assert watched_page.errors() == []


def test_the_english_switch_changes_the_page(watched_page: WatchedPage, bureau: Bureau) -> None:
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    page = watched_page.page
    sign_in(page, "clerk")
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="My tasks").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
