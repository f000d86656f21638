"""Confirming with password re-entry: the acknowledgement is looked up first (404 for anyone but
its recipient, before any password check), and wrong passwords count like failed sign-ins."""

from typing import Any

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from circulation.records.models import AuditEvent
from tests.builders import Bureau
from tests.factories import PASSWORD
from tests.helpers import circulating_notice, opened_ack


@pytest.fixture
def password_org(bureau: Bureau) -> Bureau:
    bureau.org.require_password_on_confirm = True
    bureau.org.save()
    return bureau


def test_a_non_recipient_gets_404_before_any_password_check(password_org: Bureau, api: Any) -> None:
    notice = circulating_notice(password_org.clerk)
    ack = opened_ack(notice, "gyg_1")
    intruder = api(password_org.person("gyg_2"))
    url = f"/api/v1/acknowledgements/{ack.pk}/confirm/"
    for body in ({"password": "guess"}, {"password": PASSWORD}, {}):
        answer = intruder.post(url, body, format="json")
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    assert not AccessAttempt.objects.exists()  # no password was checked, nothing counted
    ack.refresh_from_db()
    assert ack.state == "read"


def test_guessing_the_password_at_confirm_locks_the_account(password_org: Bureau, api: Any) -> None:
    notice = circulating_notice(password_org.clerk)
    ack = opened_ack(notice, "gyg_1")
    client = api(ack.person)
    url = f"/api/v1/acknowledgements/{ack.pk}/confirm/"
    answers = [client.post(url, {"password": f"guess{n}"}, format="json") for n in range(12)]
    assert [a.status_code for a in answers[:9]] == [400] * 9
    assert answers[0].json()["errors"][0]["code"] == "invalid_password"
    assert [a.status_code for a in answers[9:]] == [429] * 3
    assert answers[9].json()["code"] == "locked_out"
    assert int(answers[9]["Retry-After"]) > 0

    # locked: the right password is refused at confirm and at sign-in alike
    assert client.post(url, {"password": PASSWORD}, format="json").status_code == 429
    sign_in = APIClient().post(
        "/api/v1/auth/token/", {"username": "gyg_1", "password": PASSWORD}, format="json"
    )
    assert sign_in.status_code == 429
    ack.refresh_from_db()
    assert ack.state == "read"
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.data["path"] == f"/acknowledgements/{ack.pk}/confirm/"


def test_the_right_password_confirms(password_org: Bureau, api: Any) -> None:
    notice = circulating_notice(password_org.clerk)
    ack = opened_ack(notice, "gyg_1")
    answer = api(ack.person).post(
        f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"password": PASSWORD}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["confirm_method"] == "password"
