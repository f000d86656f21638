"""代理 on the 批办 path: a leader's delegate (a leader too) gives the 批示 in their place while the
delegation is in force — recorded as "X 代 Y" — and nobody else can."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Instruction, Notice
from tests.builders import Bureau
from tests.handling.builders import proposal_body
from tests.test_api_errors import assert_error
from workflows.services.delegation import DelegationInput, appoint_delegate, cancel_delegation

pytestmark = pytest.mark.django_db


def test_a_delegate_leader_gives_the_instruction_for_the_leader(
    leaders: Bureau, notice: Notice, api: Any
) -> None:
    api(leaders.clerk).post(
        f"/api/v1/notices/{notice.pk}/handling/",
        proposal_body(leaders=["leader_1"]),
        format="json",
    )
    ins = Instruction.objects.get(case__notice=notice)
    leader_1, leader_2 = leaders.person("leader_1"), leaders.person("leader_2")
    url = f"/api/v1/handling/instructions/{ins.pk}/"
    # not yet a delegate: leader_2 neither sees nor gives it
    assert api(leader_2).get("/api/v1/handling/pending/").json()["instructions"] == []
    assert_error(api(leader_2).post(url, {"kind": "agree"}), 404, None)

    delegation = appoint_delegate(
        Actor(leader_1),
        DelegationInput(delegate="leader_2", ends_at=timezone.now() + timedelta(days=3)),
    )
    pending = api(leader_2).get("/api/v1/handling/pending/").json()["instructions"]
    assert [item["id"] for item in pending] == [ins.pk]
    answer = api(leader_2).post(url, {"kind": "text", "text": "代为批示：同意。"}, format="json")
    assert answer.status_code == 200, answer.content
    given = answer.json()["instructions"][0]
    assert given["leader"]["username"] == "leader_1"
    assert given["acted_by"]["username"] == "leader_2"
    event = AuditEvent.objects.get(action="handling.instructed")
    assert event.actor == leader_2
    assert event.data["on_behalf_of"] == "leader_1"
    assert event.data["delegation"] == delegation.pk
    assert "钱副局长代赵局长已批示" in leaders.clerk.notifications.get().title


def test_a_cancelled_delegation_gives_nothing(leaders: Bureau, notice: Notice, api: Any) -> None:
    api(leaders.clerk).post(
        f"/api/v1/notices/{notice.pk}/handling/",
        proposal_body(leaders=["leader_1"]),
        format="json",
    )
    ins = Instruction.objects.get(case__notice=notice)
    delegation = appoint_delegate(
        Actor(leaders.person("leader_1")),
        DelegationInput(delegate="leader_2", ends_at=timezone.now() + timedelta(days=3)),
    )
    cancel_delegation(Actor(leaders.person("leader_1")), delegation.pk)
    assert_error(
        api(leaders.person("leader_2")).post(
            f"/api/v1/handling/instructions/{ins.pk}/", {"kind": "agree"}
        ),
        404,
        None,
    )
    assert Instruction.objects.get(pk=ins.pk).state == "pending"
