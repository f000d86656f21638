"""The delegations API: appoint (201), bilingual 4xx naming the field, overlap 409, list mine
(given and taken), cancel (404 for anyone else), and concurrent appointments."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from circulation.records.models import AuditEvent
from tests.builders import Bureau
from tests.helpers import race
from workflows.models import Delegation

pytestmark = pytest.mark.django_db

URL = "/api/v1/delegations/"


def test_appoint_list_and_cancel(bureau: Bureau, api: Any) -> None:
    principal = bureau.person("gyg_1")
    client = api(principal)
    ends = timezone.now() + timedelta(days=3)
    created = client.post(
        URL, {"delegate": "gyg_2", "ends_at": ends.isoformat(), "reason": "出差"}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["principal"] == "gyg_1"
    assert body["delegate"] == "gyg_2"
    assert body["delegate_name"] == bureau.person("gyg_2").name
    assert (body["status"], body["status_label"]) == ("active", "生效中")
    assert body["ends_at"].endswith("+08:00")
    assert body["reason"] == "出差"

    # the delegate sees it too; someone else does not
    taken = api(bureau.person("gyg_2")).get(URL).json()
    assert [d["id"] for d in taken["results"]] == [body["id"]]
    assert api(bureau.person("gyg_3")).get(URL).json()["results"] == []
    assert api(bureau.person("gyg_3")).get(f"{URL}{body['id']}/").status_code == 404

    assert api(bureau.person("gyg_2")).post(f"{URL}{body['id']}/cancel/").status_code == 404
    cancelled = client.post(f"{URL}{body['id']}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"{URL}{body['id']}/cancel/").status_code == 200  # again: unchanged


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"delegate": "gyg_2"}, "ends_at", "required"),
        ({"delegate": "gyg_2", "ends_at": "明天"}, "ends_at", "invalid"),
        ({"delegate": "gyg_1", "ends_at": "+1"}, "delegate", "self"),
        ({"delegate": "nobody", "ends_at": "+1"}, "delegate", "unknown_person"),
        ({"delegate": "gyg_2", "ends_at": "-1"}, "ends_at", "ends_before_start"),
        ({"delegate": "gyg_2\u0000", "ends_at": "+1"}, "delegate", "control_character"),
        ({"delegate": "gyg_2", "ends_at": "+1", "reason": "x" * 201}, "reason", "max_length"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_in_both_languages(
    bureau: Bureau, api: Any, payload: dict[str, str], field: str, code: str
) -> None:
    if payload.get("ends_at", "").startswith(("+", "-")):
        days = int(payload["ends_at"])
        payload = {**payload, "ends_at": (timezone.now() + timedelta(days=days)).isoformat()}
    response = api(bureau.person("gyg_1")).post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    assert errors[0]["code"] == code
    assert errors[0]["message"]
    assert errors[0]["message_en"]
    assert not Delegation.objects.exists()


def test_overlap_is_a_409_and_a_leaders_staff_delegate_a_400(
    bureau: Bureau, api: Any, leaders: Any
) -> None:
    client = api(bureau.person("gyg_1"))
    ends = (timezone.now() + timedelta(days=3)).isoformat()
    first = client.post(URL, {"delegate": "gyg_2", "ends_at": ends}, format="json").json()
    response = client.post(URL, {"delegate": "gyg_3", "ends_at": ends}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "overlapping"
    assert response.json()["existing"] == first["id"]
    leader = api(leaders[0]).post(URL, {"delegate": "gyg_3", "ends_at": ends}, format="json")
    assert leader.status_code == 400
    assert leader.json()["errors"][0]["code"] == "delegate_not_leader"


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_appointments_one_wins(bureau: Bureau, api: Any) -> None:
    gyg_1 = bureau.person("gyg_1")
    ends = (timezone.now() + timedelta(days=2)).isoformat()
    clients = [api(gyg_1) for _ in range(4)]
    delegates = ["gyg_2", "gyg_3", "bgs_1", "bgs_2"]
    responses = race(
        [
            lambda c=c, d=d: c.post(URL, {"delegate": d, "ends_at": ends}, format="json")
            for c, d in zip(clients, delegates, strict=True)
        ]
    )
    assert sorted(getattr(r, "status_code", r) for r in responses) == [201, 409, 409, 409]
    assert Delegation.objects.filter(principal=gyg_1).count() == 1
    assert AuditEvent.objects.filter(action="delegation.appointed").count() == 1
