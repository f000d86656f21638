"""Every HTML page carries a Content-Security-Policy without inline script, and the API docs load
nothing from outside our own origin (government intranets have no internet)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/redoc/"])
def test_html_pages_forbid_inline_script_and_foreign_origins(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline script"
    assert re.findall(r"(?:src|href)=\"(https?:)?//", html) == []


def test_swagger_init_script_is_a_file_of_ours() -> None:
    response = Client().get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
