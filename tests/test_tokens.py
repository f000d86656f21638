"""API tokens: stored hashed, expiring with a sliding lifetime, revoked on password change and
deactivation, listed and revoked by their owner."""

import hashlib
from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.builders import Bureau
from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"


def new_token(username: str) -> str:
    answer = APIClient().post(TOKEN, {"username": username, "password": PASSWORD}, format="json")
    assert answer.status_code == 200
    return str(answer.json()["token"])


def using(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    status = using(token).get("/api/v1/units/").status_code
    assert status in {200, 401}
    return status == 200


def test_only_a_hash_of_the_token_is_stored(bureau: Bureau) -> None:
    answer = APIClient().post(TOKEN, {"username": "gyg_1", "password": PASSWORD}, format="json")
    token = answer.json()["token"]
    assert answer.json()["expiry"]
    (row,) = AuthToken.objects.filter(user__username="gyg_1").values()
    assert token not in {str(value) for value in row.values()}
    assert row["digest"] == hashlib.sha512(token.encode()).hexdigest()
    assert works(token)


def test_an_unused_token_expires_and_use_slides_the_expiry(bureau: Bureau, settings: Any) -> None:
    idle, busy = new_token("gyg_1"), new_token("gyg_2")
    now = timezone.now()
    with time_machine.travel(now + timedelta(hours=8), tick=False):
        assert works(busy)  # used within its 10 hours: expires 10 hours from now
    with time_machine.travel(now + timedelta(hours=10, minutes=1), tick=False):
        assert not works(idle)
        assert works(busy)
    assert not AuthToken.objects.filter(user__username="gyg_1").exists()  # dropped when shown


def test_a_password_change_revokes_every_token(bureau: Bureau) -> None:
    first, second = new_token("gyg_1"), new_token("gyg_1")
    other = new_token("gyg_2")
    person = bureau.person("gyg_1")
    person.set_password("a-new-secret-2026")
    person.save()
    assert not works(first)
    assert not works(second)
    assert works(other)
    person.last_login = timezone.now()  # an ordinary save keeps new tokens
    token = (
        APIClient()
        .post(TOKEN, {"username": "gyg_1", "password": "a-new-secret-2026"}, format="json")
        .json()["token"]
    )
    person.save()
    assert works(token)


def test_deactivation_revokes_every_token(bureau: Bureau) -> None:
    token = new_token("gyg_1")
    person = bureau.person("gyg_1")
    person.is_active = False
    person.save()
    assert not AuthToken.objects.filter(user=person).exists()
    person.is_active = True
    person.save()
    assert not works(token)


def test_a_person_lists_and_revokes_their_own_tokens(bureau: Bureau) -> None:
    laptop, phone = new_token("gyg_1"), new_token("gyg_1")
    someone_elses = new_token("gyg_2")
    listed = using(laptop).get(TOKENS)
    assert listed.status_code == 200
    rows = listed.json()
    assert len(rows) == 2
    assert {row["current"] for row in rows} == {True, False}
    assert set(rows[0]) == {"id", "created", "expiry", "last_used_at", "current"}
    assert laptop not in listed.content.decode()
    assert phone not in listed.content.decode()
    phone_id = next(row["id"] for row in rows if not row["current"])

    other_id = using(someone_elses).get(TOKENS).json()[0]["id"]
    refused = using(laptop).delete(f"{TOKENS}{other_id}/")
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"
    assert works(someone_elses)

    assert using(laptop).delete(f"{TOKENS}{phone_id}/").status_code == 204
    assert not works(phone)
    assert works(laptop)
    assert using(laptop).delete(f"{TOKENS}{phone_id}/").status_code == 404

    second_phone = new_token("gyg_1")
    answer = using(laptop).delete(TOKENS)
    assert answer.json() == {"revoked": 2}
    assert not works(laptop)
    assert not works(second_phone)
    assert works(someone_elses)


def test_token_endpoints_need_a_sign_in_and_are_in_the_schema(bureau: Bureau) -> None:
    assert APIClient().get(TOKENS).status_code in {401, 403}
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/auth/tokens/", "/api/v1/auth/tokens/{token_id}/"} <= set(schema["paths"])
    token_op = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "429" in token_op["responses"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
