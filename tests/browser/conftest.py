"""Browser tests: Debian's Chromium driven by Playwright against a live Django server.

Chromium is the system package (``/usr/bin/chromium``, installed by ``scripts/bootstrap``);
Playwright never downloads a browser of its own. The browser is started once per test session and
each test gets a fresh context (cookies, storage). Each page's console is collected so a test can
assert that the Content-Security-Policy refused nothing.

Every browser test lives in this package. Importing ``browser`` into a test module elsewhere gives
that package its own instance, and in a whole-suite run it starts a second Playwright inside the
first one's event loop ("Sync API inside the asyncio loop").
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests of this package.

    Playwright's sync API runs an event loop in the test thread, where the fixtures also use the
    ORM, which Django would otherwise refuse as "async unsafe": allowed while the browser runs, and
    only then (the variable would leak into the subprocesses of other tests).
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@dataclass
class WatchedPage:
    """A page and what its console said (CSP refusals appear there as errors)."""

    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [m.text for m in self.console if m.type == "error"] + self.page_errors


@pytest.fixture
def watched_page(browser: Browser, live_server: Any) -> Iterator[WatchedPage]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    watched = WatchedPage(page=page)
    page.on("console", lambda message: watched.console.append(message))
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
    yield watched
    context.close()


# --- Helpers for the web pages' tests -------------------------------------------------------------

PASSWORD = "browser-pass-2022"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form (the person's password must be ``password``)."""
    page.goto("/signin/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/signin/" not in url)


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = Axe().run(page)
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert bad == [], "\n".join(bad)


def screenshot(page: Page, name: str) -> None:
    """Save the page as ``docs/screenshots/<name>.png`` (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
