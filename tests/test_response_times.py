"""One time zone in every response: each datetime of these answers is in +08:00, also those
that were built outside a serializer field (the caller's own acknowledgement, the 429)."""

from typing import Any

import pytest

from circulation.records.actors import Actor
from tests.builders import Bureau
from tests.helpers import circulating_notice, opened_ack
from tests.time_walk import assert_all_local
from workflows.services.acknowledging import return_acknowledgement

pytestmark = pytest.mark.django_db


def test_notice_roster_and_notification_answers_are_in_local_time(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    recipient = api(bureau.person("gyg_1"))
    detail = recipient.get(f"/api/v1/notices/{notice.pk}/").json()
    assert detail["my_acknowledgement"]["state"] == "read"
    assert_all_local(detail, "$.received_at", "$.registered_at")
    forwarded = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/",
        {"people": ["bgs_1"], "due_working_days": 3},
        format="json",
    )
    assert forwarded.status_code == 200
    bgs_1 = api(bureau.person("bgs_1"))
    assert_all_local(
        bgs_1.get(f"/api/v1/notices/{notice.pk}/").json(), "$.my_acknowledgement.due_at"
    )
    return_acknowledgement(Actor(ack.person), ack.pk, "误发")
    roster = api(bureau.clerk).get(f"/api/v1/notices/{notice.pk}/acknowledgements/").json()
    assert_all_local(roster, "$.results[0].due_at", "$.results[1].returned_at")
    assert_all_local(
        api(bureau.clerk).get("/api/v1/notifications/").json(), "$.results[0].created_at"
    )
    assert_all_local(recipient.get("/api/v1/acknowledgements/").json(), "$.results[0].opened_at")


def test_the_rate_limit_answer_is_in_local_time(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    clerk = api(bureau.clerk)
    first = clerk.post(f"/api/v1/notices/{notice.pk}/remind/")
    assert first.status_code == 200
    assert_all_local(first.json(), "$.next_allowed_at")
    again = clerk.post(f"/api/v1/notices/{notice.pk}/remind/")
    assert again.status_code == 429
    assert_all_local(again.json(), "$.next_allowed_at")
