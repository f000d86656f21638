"""Browser tests: Debian's Chromium driven by Playwright against a live Django server.

Chromium is the system package (``/usr/bin/chromium``, installed by ``scripts/bootstrap``);
Playwright never downloads a browser of its own. The browser is started once per test session and
each test gets a fresh context (cookies, storage). Each page's console is collected so a test can
assert that the Content-Security-Policy refused nothing.

Every browser test lives in this package. Importing ``browser`` into a test module elsewhere gives
that package its own instance, and in a whole-suite run it starts a second Playwright inside the
first one's event loop ("Sync API inside the asyncio loop"). The tests' helpers (signing in, the
accessibility check, screenshots, ``WatchedPage``) are in tests/browser/builders.py.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.builders import WatchedPage

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


@pytest.fixture
def watched_page(browser: Browser, live_server: Any) -> Iterator[WatchedPage]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    watched = WatchedPage(page=page)
    page.on("console", lambda message: watched.console.append(message))
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
    yield watched
    context.close()
