"""GET /api/v1/notices/{id}/acknowledgements/: who is still pending, per recipient (design.md §6).

Clerks and admins see every row, a unit head their unit's rows, everyone else a 404; the
queries do not grow with the rows.
"""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.records.actors import Actor
from circulation.records.models import Membership, Person
from tests.builders import Bureau, bulk_people
from tests.helpers import ack_of, circulating_notice, opened_ack, registered_notice
from workflows.services.acknowledging import confirm_acknowledgement, return_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db


def url(notice_id: int, query: str = "") -> str:
    return f"/api/v1/notices/{notice_id}/acknowledgements/{query}"


def test_the_clerk_sees_every_recipient_and_who_is_still_pending(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    confirm_acknowledgement(Actor(bureau.person("gyg_1")), opened_ack(notice, "gyg_1").pk)
    opened_ack(notice, "gyg_2")
    ack = ack_of(notice, "zxfw_3")
    return_acknowledgement(Actor(ack.person), ack.pk, "误发，本中心不涉及")

    answer = api(bureau.clerk).get(url(notice.pk))
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert answer.json()["count"] == 8
    by_user = {row["username"]: row for row in rows}
    assert [row["username"] for row in rows][:4] == ["gyg_1", "gyg_2", "gyg_3", "gyg_head"]
    assert by_user["gyg_1"]["state"] == "confirmed"
    assert by_user["gyg_1"]["confirmed_at"] is not None
    assert by_user["gyg_2"]["state"] == "read"
    assert by_user["gyg_2"]["opened_at"]
    assert by_user["zxfw_3"]["return_reason"] == "误发，本中心不涉及"
    assert by_user["gyg_3"] | {} == by_user["gyg_3"]
    assert set(by_user["gyg_3"]) >= {
        "username", "name", "unit", "unit_name", "state", "state_label", "opened_at",
        "confirmed_at", "reminders", "return_reason",
    }  # fmt: skip
    assert by_user["gyg_3"]["unit"] == "GYG"
    assert by_user["gyg_3"]["unit_name"] == "工业股"
    assert by_user["gyg_3"]["name"] == bureau.person("gyg_3").display_name

    pending = api(bureau.clerk).get(url(notice.pk, "?state=pending")).json()["results"]
    assert sorted(row["username"] for row in pending) == [
        "gyg_3", "gyg_head", "zxfw_1", "zxfw_2", "zxfw_head",
    ]  # fmt: skip
    zxfw = api(bureau.clerk).get(url(notice.pk, "?unit=zxfw")).json()["results"]
    assert {row["unit"] for row in zxfw} == {"ZXFW"}
    assert len(zxfw) == 4


def test_a_unit_head_sees_only_their_units_rows(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    answer = api(bureau.person("gyg_head")).get(url(notice.pk))
    assert answer.status_code == 200
    assert {row["unit"] for row in answer.json()["results"]} == {"GYG"}
    assert answer.json()["count"] == 4
    other = api(bureau.person("gyg_head")).get(url(notice.pk, "?unit=ZXFW"))
    assert other.json()["results"] == []


def test_recipients_and_outsiders_get_404(bureau: Bureau, api: Any, outsider: Person) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    for user in (bureau.person("gyg_1"), outsider, bureau.person("bgs_head")):
        answer = api(user).get(url(notice.pk))
        assert answer.status_code == 404, user.username
        assert answer.json()["code"] == "not_found"
    assert api().get(url(notice.pk)).status_code == 401


def test_a_bad_state_is_a_400_naming_the_parameter(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    answer = api(bureau.clerk).get(url(notice.pk, "?state=late"))
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "state"


def test_my_own_list_filters_by_notice(bureau: Bureau, api: Any) -> None:
    first = circulating_notice(bureau.clerk)
    second = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    forward_notice(Actor(bureau.clerk), second.pk, ForwardRequest(unit_codes=["GYG"]))
    mine = api(bureau.person("gyg_1")).get(f"/api/v1/acknowledgements/?notice={second.pk}")
    assert [row["notice"] for row in mine.json()["results"]] == [second.pk]
    assert first.pk != second.pk


def _notice_with(bureau: Bureau, recipients: int, serial: int) -> int:
    unit = bureau.units["ZXFW"]
    people = bulk_people(bureau, f"r{serial}_", recipients)
    notice = registered_notice(bureau.clerk, f"舞工信〔2022〕{serial}号")
    forward_notice(
        Actor(bureau.clerk),
        notice.pk,
        ForwardRequest(usernames=[person.username for person in people]),
    )
    Membership.objects.bulk_create(Membership(person=p, unit=unit) for p in people)
    return notice.pk


def test_queries_do_not_grow_with_the_rows(bureau: Bureau, api: Any) -> None:
    small, large = _notice_with(bureau, 3, 31), _notice_with(bureau, 300, 32)
    client = api(bureau.clerk)
    counts = []
    for notice_id, expected in ((small, 3), (large, 300)):
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url(notice_id, "?page_size=500"))
        assert len(answer.json()["results"]) == expected
        counts.append(len(queries))
    # token, permissions (one statement since PersonBackend), notice, roster count and page
    # (+ head units only for unit heads)
    assert counts[0] == counts[1] == 5
    assert client.get(url(large, "?page_size=501")).status_code == 400
