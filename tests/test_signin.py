"""Sign-in protection: failed attempts counted per account from any address (django-axes) and
per address; successful sign-ins never limited; lock-outs audited and unlocked by an admin."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from circulation.records.models import AuditEvent, Person
from tests.builders import Bureau
from tests.factories import PASSWORD, PersonFactory

TOKEN = "/api/v1/auth/token/"
OFFICE = "203.0.113.50"  # one NAT address for a whole bureau


def sign_in(client: Any, username: str, password: str, **extra: Any) -> Any:
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def test_300_people_behind_one_address_all_sign_in_within_a_minute(bureau: Bureau) -> None:
    hashed = make_password(PASSWORD)
    Person.objects.bulk_create(
        Person(username=f"staff{n:03}", password=hashed, organisation=bureau.org)
        for n in range(300)
    )
    client = APIClient(REMOTE_ADDR=OFFICE)
    with time_machine.travel(timezone.now(), tick=False):  # all in the same minute
        answers = [sign_in(client, f"staff{n:03}", PASSWORD) for n in range(300)]
    assert [a.status_code for a in answers] == [200] * 300
    assert all(a.json()["token"] for a in answers)
    assert AuthToken.objects.filter(user__username__startswith="staff").count() == 300


def test_rotating_forwarded_addresses_does_not_help_a_guesser(
    bureau: Bureau, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1  # behind our proxy: X-Forwarded-For is honoured
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    answers = [
        sign_in(client, "clerk", f"guess{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")
        for n in range(25)
    ]
    assert [a.status_code for a in answers[:9]] == [400] * 9
    assert answers[0].json()["code"] == "invalid_credentials"
    assert [a.status_code for a in answers[9:]] == [429] * 16  # the 10th failure locks
    right = sign_in(client, "clerk", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert right.status_code == 429
    body = right.json()
    assert body["code"] == "locked_out"
    until = timezone.localtime(timezone.datetime.fromisoformat(body["locked_until"]))
    assert until.strftime("%H:%M") in body["detail"]  # says when to retry, in both languages
    assert until.strftime("%H:%M") in body["detail_en"]
    assert "locked" in body["detail_en"]
    assert 14 * 60 < int(right["Retry-After"]) <= 15 * 60
    assert not AuthToken.objects.filter(user=bureau.clerk).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert sign_in(client, "clerk", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert sign_in(client, "clerk", PASSWORD).status_code == 200


def test_the_admin_login_locks_out_the_same_way(bureau: Bureau, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    PersonFactory(username="boss", organisation=bureau.org, is_staff=True, is_superuser=True)
    browser = Client(REMOTE_ADDR="10.0.0.1")

    def login(password: str, n: int) -> Any:
        return browser.post(
            "/admin/login/?next=/admin/",
            {"username": "boss", "password": password, "next": "/admin/"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    answers = [login(f"guess{n}", n) for n in range(1, 26)]
    assert [a.status_code for a in answers[:9]] == [200] * 9  # the form again, with an error
    assert [a.status_code for a in answers[9:]] == [429] * 16
    page = answers[-1].content.decode()
    assert "账户已被临时锁定" in page
    assert "this account is locked until" in page
    right = login(PASSWORD, 200)
    assert right.status_code == 429
    assert "_auth_user_id" not in browser.session
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert login(PASSWORD, 201).status_code == 302
        assert browser.session["_auth_user_id"] == str(Person.objects.get(username="boss").pk)


def test_an_office_whose_people_each_mistype_once_still_signs_in(bureau: Bureau) -> None:
    """Ten people behind one address each mistype once, then sign in on two devices: 30
    attempts from the address within a minute, none refused."""
    people = [f"{unit}_{n}" for unit in ("bgs", "gyg", "zxfw") for n in (1, 2, 3)] + ["clerk"]
    client = APIClient(REMOTE_ADDR=OFFICE)
    with time_machine.travel(timezone.now(), tick=False):
        typos = [sign_in(client, name, PASSWORD + "x").status_code for name in people]
        first = [sign_in(client, name, PASSWORD).status_code for name in people]
        second = [sign_in(client, name, PASSWORD).status_code for name in people]
    assert typos == [400] * 10
    assert first == second == [200] * 10


def test_a_spray_over_many_accounts_from_one_address_is_slowed(
    bureau: Bureau, settings: Any
) -> None:
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 5
    attacker = APIClient(REMOTE_ADDR="198.51.100.66")
    victims = ["gyg_1", "gyg_2", "gyg_3", "bgs_1", "bgs_2"]
    assert [sign_in(attacker, v, "123456").status_code for v in victims] == [400] * 5
    refused = sign_in(attacker, "zxfw_1", PASSWORD)  # even a right password from there
    assert refused.status_code == 429
    assert refused.json()["code"] == "address_throttled"
    assert 0 < int(refused["Retry-After"]) <= 600
    # nobody was locked out by the refused attempt, and other addresses sign in freely
    assert not AccessAttempt.objects.filter(username="zxfw_1").exists()
    assert sign_in(APIClient(REMOTE_ADDR=OFFICE), "zxfw_1", PASSWORD).status_code == 200


def test_a_lockout_is_audited_once_and_an_admin_unlocks_it(bureau: Bureau) -> None:
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    for n in range(15):
        sign_in(client, "gyg_2", f"guess{n}")
    events = list(AuditEvent.objects.filter(action="auth.locked_out"))
    assert len(events) == 1
    event = events[0]
    assert (event.object_type, event.object_id) == (
        "records.person",
        str(bureau.person("gyg_2").pk),
    )
    assert event.data["username"] == "gyg_2"
    assert (event.data["failures"], event.data["ip"]) == (10, "198.51.100.7")
    assert event.data["path"] == TOKEN
    assert sign_in(client, "gyg_2", PASSWORD).status_code == 429

    call_command("axes_reset_username", "gyg_2")  # the admin unlocks

    assert sign_in(client, "gyg_2", PASSWORD).status_code == 200


@pytest.mark.parametrize("payload", [{}, {"username": "clerk"}, {"username": "", "password": ""}])
def test_incomplete_sign_in_is_a_bilingual_400(bureau: Bureau, payload: dict[str, str]) -> None:
    answer = APIClient().post(TOKEN, payload, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] in {"username", "password"}
