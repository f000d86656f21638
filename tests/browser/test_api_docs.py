"""The API documentation pages work on an intranet without internet, under the CSP."""

import re
from typing import Any

import pytest

from tests.browser.builders import WatchedPage

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_from_our_own_files_without_csp_refusals(
    watched_page: WatchedPage, live_server: Any
) -> None:
    page = watched_page.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    response = page.goto("/api/docs/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # The operations are drawn: the bundle and our init script loaded, the schema was fetched.
    page.get_by_text("/api/v1/notices/", exact=True).first.wait_for(timeout=15_000)

    assert watched_page.errors() == []
    foreign = [url for url in requested if not url.startswith(live_server.url)]
    assert foreign == []


def test_redoc_renders_from_our_own_files(watched_page: WatchedPage, live_server: Any) -> None:
    page = watched_page.page
    requested: list[str] = []
    # ReDoc's bundle asks for its vendor's logo on a CDN: the CSP blocks it, so it never loads.
    page.on("requestfinished", lambda request: requested.append(request.url))

    page.goto("/api/redoc/")
    page.get_by_text(re.compile("circulation 收文传阅 API")).first.wait_for(timeout=15_000)

    foreign = [url for url in requested if not url.startswith(live_server.url)]
    assert foreign == []
