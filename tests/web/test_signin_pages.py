"""The web sign-in: every page needs it, failures are counted like the API's, English on request."""

from typing import Any

import pytest
from django.test import Client

from tests.builders import Bureau

pytestmark = pytest.mark.django_db

PASSWORD = "pw-web-2022"


@pytest.fixture
def clerk_password(bureau: Bureau) -> str:
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    return PASSWORD


def test_home_needs_sign_in_and_signing_in_lands_there(bureau: Bureau, clerk_password: str) -> None:
    client = Client()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/"

    page = client.get("/signin/?next=/")
    assert "用户名" in page.content.decode()
    answer = client.post("/signin/", {"username": "clerk", "password": clerk_password, "next": "/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/"
    home = client.get("/")
    assert "王收发" in home.content.decode()


def test_a_wrong_password_is_explained_and_signing_out_needs_a_post(
    bureau: Bureau, clerk_password: str
) -> None:
    client = Client()
    wrong = client.post("/signin/", {"username": "clerk", "password": "nope"})
    assert wrong.status_code == 200
    assert "请输入一个正确的" in wrong.content.decode()  # Django's own message, in Chinese

    client.post("/signin/", {"username": "clerk", "password": clerk_password})
    assert client.get("/signout/").status_code == 405
    assert client.post("/signout/").status_code == 302
    assert client.get("/").status_code == 302


def test_the_web_sign_in_locks_the_account_like_the_api(
    bureau: Bureau, clerk_password: str, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _attempt in range(3):
        client.post("/signin/", {"username": "clerk", "password": "nope"})
    refused = client.post("/signin/", {"username": "clerk", "password": clerk_password})
    assert refused.status_code == 429
    assert refused["Retry-After"]
    text = refused.content.decode()
    assert "登录已暂停" in text
    assert "Sign-in paused" in text


def test_english_is_one_click_away(bureau: Bureau, clerk_password: str) -> None:
    client = Client()
    client.post("/signin/", {"username": "clerk", "password": clerk_password})
    assert "我的待办" in client.get("/").content.decode()

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert "My tasks" in english
    assert 'lang="en"' in english


def test_the_browsers_own_favicon_request_finds_our_icon() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/web/favicon.svg"
