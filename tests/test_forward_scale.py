"""Forwarding costs a constant number of queries, whether to 3 people or to 10,000."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement
from tests.builders import Bureau, big_units
from tests.helpers import registered_notice
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db


def forward_and_count(bureau: Bureau, doc_number: str, request: ForwardRequest) -> tuple[int, int]:
    notice = registered_notice(bureau.clerk, doc_number)
    with CaptureQueriesContext(connection) as queries:
        result = forward_notice(Actor(bureau.clerk), notice.pk, request)
    assert Acknowledgement.objects.filter(notice=notice).count() == result.recipients_added
    return len(queries), result.recipients_added


def test_forward_to_ten_thousand_uses_the_same_queries_as_to_three(bureau: Bureau) -> None:
    codes = big_units(bureau, 10_000)
    small, added_small = forward_and_count(
        bureau, "舞工信〔2022〕1号", ForwardRequest(unit_codes=["GYG"], usernames=["bgs_1"])
    )
    large, added_large = forward_and_count(
        bureau, "舞工信〔2022〕2号", ForwardRequest(unit_codes=codes, usernames=["bgs_1"])
    )
    assert (added_small, added_large) == (5, 10_001)
    assert small == large == 21  # with the 传阅通知: people, robots, digests, outbox hand-over


def test_forward_to_people_scales_the_same_way(bureau: Bureau) -> None:
    big_units(bureau, 2_000, units=1)
    names = [f"big0_{n}" for n in range(2_000)]
    few, _ = forward_and_count(bureau, "舞工信〔2022〕3号", ForwardRequest(usernames=names[:2]))
    many, added = forward_and_count(bureau, "舞工信〔2022〕4号", ForwardRequest(usernames=names))
    assert added == 2_000
    assert few == many


def test_unknown_recipient_refuses_the_whole_forward(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/",
        {"units": ["GYG", "NOPE"], "people": ["bgs_1", "ghost"]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "units"
    assert "NOPE" in answer.json()["detail"]
    assert not Acknowledgement.objects.filter(notice=notice).exists()
    notice.refresh_from_db()
    assert notice.state == "registered"
