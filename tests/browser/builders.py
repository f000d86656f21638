"""Helpers of the browser tests: a page with what its console said, the password and the viewport
sizes the tests use, signing in through the real form, the accessibility check and the README's
screenshots. Import them from here (never from a conftest); ``tests/browser/conftest.py`` makes
the ``browser`` and ``watched_page`` fixtures."""

from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page

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


@dataclass
class WatchedPage:
    """A page and what its console said (CSP refusals appear there as errors)."""

    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [m.text for m in self.console if m.type == "error"] + self.page_errors
