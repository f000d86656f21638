"""The interface language is kept on the person's account and applied when they sign in."""

import pytest
from django.test import Client

from circulation.records.models import Person
from tests.builders import Bureau

pytestmark = pytest.mark.django_db

PASSWORD = "pw-lang-2022"


@pytest.fixture
def gyg_1(bureau: Bureau) -> Person:
    person = bureau.person("gyg_1")
    person.set_password(PASSWORD)
    person.save()
    return person


def test_switching_stores_the_language_and_another_browser_gets_it_at_sign_in(
    gyg_1: Person,
) -> None:
    first = Client()
    first.post("/signin/", {"username": "gyg_1", "password": PASSWORD})
    answer = first.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/inbox/"
    gyg_1.refresh_from_db()
    assert gyg_1.language == "en"

    second = Client()
    assert 'lang="zh-Hans"' in second.get("/signin/").content.decode()
    signed_in = second.post("/signin/", {"username": "gyg_1", "password": PASSWORD})
    assert signed_in.cookies["django_language"].value == "en"
    assert 'lang="en"' in second.get("/inbox/").content.decode()


def test_an_unknown_language_or_an_anonymous_switch_stores_nothing(gyg_1: Person) -> None:
    Client().post("/i18n/setlang/", {"language": "en", "next": "/"})  # the sign-in page only
    client = Client()
    client.post("/signin/", {"username": "gyg_1", "password": PASSWORD})
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    gyg_1.refresh_from_db()
    assert gyg_1.language == ""

    # Without a stored choice, signing in leaves the browser's language as it was.
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "en", "next": "/signin/"})
    signed_in = browser.post("/signin/", {"username": "gyg_1", "password": PASSWORD})
    assert "django_language" not in signed_in.cookies
    assert 'lang="en"' in browser.get("/").content.decode()
