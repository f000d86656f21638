"""The admin's 办理 buttons (初审退回, 撤回) are visible: their text has a colour of its own on a
painted background, in the real browser, under the Content-Security-Policy."""

from typing import Any

import pytest

from circulation.records.models import Person
from tests.browser.builders import WatchedPage
from tests.builders import build_bureau
from tests.factories import PASSWORD
from tests.helpers import circulating_notice, registered_notice

pytestmark = pytest.mark.django_db(transaction=True)

STYLE = """(el) => {
  const s = getComputedStyle(el);
  return {color: s.color, background: s.backgroundColor, borderWidth: s.borderTopWidth,
          borderColor: s.borderTopColor, width: el.offsetWidth, height: el.offsetHeight};
}"""


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    """The test settings keep whitenoise's manifest storage, which needs collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def rgba(css: str) -> tuple[float, float, float, float]:
    """``rgb(1, 2, 3)`` / ``rgba(1, 2, 3, 0.5)`` → (r, g, b, alpha)."""
    inside = css[css.index("(") + 1 : css.index(")")]
    parts = [float(p) for p in inside.replace("/", ",").replace(" ", ",").split(",") if p]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def luminance(colour: tuple[float, float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _alpha = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def sign_in(watched: WatchedPage, username: str) -> None:
    page = watched.page
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def assert_visible_button(watched: WatchedPage, name: str, label: str) -> None:
    button = watched.page.locator(f'button[data-transition="{name}"]')
    assert button.inner_text().strip() == label
    style = button.evaluate(STYLE)
    text, background = rgba(style["color"]), rgba(style["background"])
    assert background[3] == 1.0, style  # painted, not transparent
    assert text[:3] != background[:3], style
    assert contrast(text, background) >= 4.5, style  # WCAG AA for normal text
    assert float(style["borderWidth"].removesuffix("px")) >= 1, style
    assert style["width"] > 40, style
    assert style["height"] > 20, style


def test_return_and_withdraw_buttons_are_visible(watched_page: WatchedPage) -> None:
    bureau = build_bureau()
    Person.objects.filter(pk=bureau.clerk.pk).update(is_staff=True)
    registered = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    circulating = circulating_notice(bureau.clerk)
    sign_in(watched_page, bureau.clerk.username)

    watched_page.page.goto(f"/admin/records/notice/{registered.pk}/change/")
    assert_visible_button(watched_page, "return", "初审退回 Return to sender")

    watched_page.page.goto(f"/admin/records/notice/{circulating.pk}/change/")
    assert_visible_button(watched_page, "withdraw", "撤回 Withdraw")

    # The stylesheet came from our static files: nothing was refused by the CSP.
    refused = [e for e in watched_page.errors() if "Content Security Policy" in e]
    assert refused == []
