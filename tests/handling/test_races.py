"""批办 under concurrent clicks, with real threads and transactions: one transition, one audit
event, never a 5xx, never a half-done state."""

from typing import Any

import pytest

from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.models import (
    Acknowledgement,
    Assignment,
    AuditEvent,
    HandlingCase,
    Instruction,
    Notice,
)
from tests.builders import Bureau
from tests.handling.builders import proposal_body
from tests.helpers import race
from workflows.services.proposing import ProposalInput, propose_handling

pytestmark = pytest.mark.django_db(transaction=True)


def proposed(bureau: Bureau, notice: Notice, **overrides: Any) -> HandlingCase:
    body = proposal_body(**overrides)
    return propose_handling(Actor(bureau.clerk), notice.pk, ProposalInput(**body))


def url_of(notice: Notice, username: str) -> str:
    pk = Instruction.objects.get(case__notice=notice, leader__username=username).pk
    return f"/api/v1/handling/instructions/{pk}/"


def test_two_leaders_at_once_start_the_undertaking_once(
    leaders: Bureau, notice: Notice, api: Any
) -> None:
    case = proposed(leaders, notice)
    one, two = api(leaders.person("leader_1")), api(leaders.person("leader_2"))
    responses = race(
        [
            lambda: one.post(url_of(notice, "leader_1"), {"kind": "agree"}, format="json"),
            lambda: two.post(
                url_of(notice, "leader_2"), {"kind": "text", "text": "同意。"}, format="json"
            ),
        ]
    )

    assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
    case.refresh_from_db()
    assert case.state == "undertaking"
    assert Assignment.objects.filter(case=case).count() == 2
    assert Acknowledgement.objects.filter(notice=notice).count() == 2  # bgs_1, bgs_2 once each
    assert AuditEvent.objects.filter(action="handling.undertaking").count() == 1
    assert AuditEvent.objects.filter(action="handling.instructed").count() == 2
    assert AuditEvent.objects.filter(notice=notice, action="notice.forwarded").count() == 1
    assert Notice.objects.get(pk=notice.pk).state == "circulating"
    assert verify_chain().ok


def test_the_same_leader_double_clicking_gives_one_instruction(
    leaders: Bureau, notice: Notice, api: Any
) -> None:
    proposed(leaders, notice, leaders=["leader_1"])
    clients = [api(leaders.person("leader_1")) for _ in range(3)]
    url = url_of(notice, "leader_1")
    responses = race([lambda c=c: c.post(url, {"kind": "agree"}, format="json") for c in clients])

    assert [getattr(r, "status_code", r) for r in responses] == [200, 200, 200]
    assert {r.json()["state"] for r in responses} == {"undertaking"}
    assert AuditEvent.objects.filter(action="handling.instructed").count() == 1
    assert AuditEvent.objects.filter(action="handling.undertaking").count() == 1
    assert Assignment.objects.filter(case__notice=notice).count() == 2


def test_two_clerks_proposing_at_once_make_one_case(
    leaders: Bureau, notice: Notice, api: Any
) -> None:
    url = f"/api/v1/notices/{notice.pk}/handling/"
    clerk, director = api(leaders.clerk), api(leaders.person("director"))
    responses = race(
        [
            lambda: clerk.post(url, proposal_body(), format="json"),
            lambda: director.post(url, proposal_body(text="另拟"), format="json"),
        ]
    )

    assert sorted(getattr(r, "status_code", r) for r in responses) == [201, 409]
    assert HandlingCase.objects.filter(notice=notice).count() == 1
    assert Instruction.objects.filter(case__notice=notice).count() == 2
    assert AuditEvent.objects.filter(action="handling.proposed").count() == 1


@pytest.mark.parametrize("readers", [[], ["bgs_1"]])
def test_result_against_withdraw_ends_in_one_consistent_state(
    leaders: Bureau, notice: Notice, api: Any, readers: list[str]
) -> None:
    proposed(leaders, notice, leaders=["leader_1"], readers=readers)
    api(leaders.person("leader_1")).post(url_of(notice, "leader_1"), {"kind": "agree"})
    lead = Assignment.objects.get(case__notice=notice, role="lead")
    unit, clerk = api(leaders.person("gyg_1")), api(leaders.clerk)
    responses = race(
        [
            lambda: unit.post(
                f"/api/v1/handling/assignments/{lead.pk}/result/", {"text": "已办理。"}
            ),
            lambda: clerk.post(f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "发错"}),
        ]
    )

    codes = [getattr(r, "status_code", r) for r in responses]
    assert all(code in (200, 409) for code in codes), codes
    lead.refresh_from_db()
    state = Notice.objects.get(pk=notice.pk).state
    if codes[0] == 409:  # the withdraw won: nothing of the result was written
        assert state == "withdrawn"
        assert lead.state == "assigned"
        assert not AuditEvent.objects.filter(action="handling.result_recorded").exists()
    else:  # the result won: the withdraw either withdrew the readers or found it complete
        assert lead.state == "resulted"
        assert HandlingCase.objects.get(notice=notice).state == "done"
        assert state == ("withdrawn" if readers and codes[1] == 200 else "completed")
        assert codes[1] == (200 if readers else 409)
    assert verify_chain().ok
