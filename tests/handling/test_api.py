"""The 批办 path through the API: every step, bilingual 4xx errors, who sees what, and the
pending list's query count."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.records.models import Assignment, AuditEvent, Instruction, Notice
from circulation.records.roles import CLERK, LEADER
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.handling.builders import action_notice, proposal_body
from tests.test_api_errors import assert_error

pytestmark = pytest.mark.django_db


def propose(api: Any, bureau: Bureau, notice: Notice, **overrides: Any) -> Any:
    return api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/handling/", proposal_body(**overrides), format="json"
    )


def instruction_id(notice: Notice, username: str) -> int:
    return Instruction.objects.get(case__notice=notice, leader__username=username).pk


def test_the_whole_path_through_the_api(leaders: Bureau, notice: Notice, api: Any) -> None:
    answer = propose(api, leaders, notice, reply_expected=True)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["state"] == "proposed"
    assert body["state_label"] == "待批示"
    assert body["lead_unit"] == {"code": "GYG", "name": "工业股"}
    assert [i["leader"]["username"] for i in body["instructions"]] == ["leader_1", "leader_2"]

    leader_1, leader_2 = leaders.person("leader_1"), leaders.person("leader_2")
    pending = api(leader_1).get("/api/v1/handling/pending/").json()
    assert [item["notice"]["id"] for item in pending["instructions"]] == [notice.pk]
    assert pending["assignments"] == []

    answer = api(leader_1).post(
        f"/api/v1/handling/instructions/{instruction_id(notice, 'leader_1')}/",
        {"kind": "批示", "text": "请工业股牵头落实。"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    answer = api(leader_2).post(
        f"/api/v1/handling/instructions/{instruction_id(notice, 'leader_2')}/",
        {"kind": "agree"},
        format="json",
    )
    body = answer.json()
    assert body["state"] == "undertaking"
    assert {i["kind_label"] for i in body["instructions"]} == {"批示", "同意拟办意见"}
    assert [(a["unit"]["code"], a["role"]) for a in body["assignments"]] == [
        ("GYG", "lead"),
        ("ZXFW", "co"),
    ]
    assert body["notice"]["state"] == "circulating"
    assert api(leader_1).get("/api/v1/handling/pending/").json()["instructions"] == []

    gyg = api(leaders.person("gyg_head"))
    mine = gyg.get("/api/v1/handling/pending/").json()["assignments"]
    assert [(a["notice"]["id"], a["role"]) for a in mine] == [(notice.pk, "lead")]
    lead = mine[0]["id"]
    assert gyg.post(f"/api/v1/handling/assignments/{lead}/accept/").status_code == 200
    answer = gyg.post(
        f"/api/v1/handling/assignments/{lead}/result/", {"text": "已制定方案。"}, format="json"
    )
    assert answer.json()["state"] == "resulted"
    assert answer.json()["assignments"][0]["result_by"]["username"] == "gyg_head"

    answer = api(leaders.clerk).post(
        f"/api/v1/notices/{notice.pk}/handling/reply/",
        {"text": "已书面答复。", "replied_on": str(timezone.localdate()), "channel": "公文交换"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["replies"][0]["channel"] == "exchange"
    assert answer.json()["state"] == "done"

    # the readers (bgs_1, bgs_2) confirm: the notice completes
    for username in ("bgs_1", "bgs_2"):
        client = api(leaders.person(username))
        ack = client.get(f"/api/v1/acknowledgements/?notice={notice.pk}").json()["results"][0]
        client.post(f"/api/v1/acknowledgements/{ack['id']}/read/")
        client.post(f"/api/v1/acknowledgements/{ack['id']}/confirm/", {}, format="json")
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    case = api(leaders.clerk).get(f"/api/v1/notices/{notice.pk}/handling/").json()
    assert case["notice"]["state"] == "completed"
    assert case["done_at"].endswith("+08:00")


def test_bad_input_is_a_bilingual_400_naming_the_field(
    leaders: Bureau, notice: Notice, api: Any
) -> None:
    assert_error(propose(api, leaders, notice, text=""), 400, "text")
    assert_error(propose(api, leaders, notice, leaders=["gyg_1"]), 400, "leaders", "not_a_leader")
    assert_error(propose(api, leaders, notice, lead_unit="XYZ"), 400, "units", "unknown_unit")
    assert_error(propose(api, leaders, notice, due_working_days=0), 400, "due_working_days")
    assert_error(propose(api, leaders, notice, text="拟办\u202e意见"), 400, "text")
    assert not AuditEvent.objects.filter(action="handling.proposed").exists()

    assert propose(api, leaders, notice).status_code == 201
    url = f"/api/v1/handling/instructions/{instruction_id(notice, 'leader_1')}/"
    leader = api(leaders.person("leader_1"))
    assert_error(leader.post(url, {"kind": "veto"}, format="json"), 400, "kind")
    assert_error(leader.post(url, {"kind": "text"}, format="json"), 400, "text")
    assert_error(
        leader.post(url, {"kind": "agree", "readers": ["bgs_3"]}, format="json"),
        400,
        "readers",
        "changes_need_text",
    )
    assert_error(propose(api, leaders, notice, text="再拟一次"), 409, None, "already_proposed")
    reply = {"text": "x", "replied_on": str(timezone.localdate()), "channel": "phone"}
    assert_error(
        api(leaders.clerk).post(
            f"/api/v1/notices/{notice.pk}/handling/reply/", reply, format="json"
        ),
        409,
        None,
        "invalid_state",
    )


def test_who_may_do_what(leaders: Bureau, notice: Notice, api: Any) -> None:
    staff = api(leaders.person("gyg_1"))
    assert_error(
        staff.post(f"/api/v1/notices/{notice.pk}/handling/", proposal_body(), format="json"),
        403,
        None,
        "permission_denied",
    )
    assert propose(api, leaders, notice, leaders=["leader_1"]).status_code == 201
    url = f"/api/v1/handling/instructions/{instruction_id(notice, 'leader_1')}/"
    # a leader not named, and a staff member: 404; the clerk: 403
    assert_error(api(leaders.person("leader_2")).post(url, {"kind": "agree"}), 404, None)
    assert_error(staff.post(url, {"kind": "agree"}), 404, None)
    assert_error(api(leaders.clerk).post(url, {"kind": "agree"}), 403, None, "not_named_leader")
    # a staff member who is neither leader, unit nor recipient does not see the case
    assert_error(staff.get(f"/api/v1/notices/{notice.pk}/handling/"), 404, None)
    assert (
        api(leaders.person("leader_1")).get(f"/api/v1/notices/{notice.pk}/handling/").status_code
        == 200
    )

    api(leaders.person("leader_1")).post(url, {"kind": "circle"})
    lead = Assignment.objects.get(case__notice=notice, role="lead").pk
    result = f"/api/v1/handling/assignments/{lead}/result/"
    assert_error(api(leaders.clerk).post(result, {"text": "x"}), 403, None, "not_in_unit")
    assert_error(api(leaders.person("zxfw_1")).post(result, {"text": "x"}), 403, None)
    assert_error(api(leaders.person("bgs_3")).post(result, {"text": "x"}), 404, None)
    assert (
        staff.get(f"/api/v1/notices/{notice.pk}/handling/").status_code == 200
    )  # 工业股 sees it now


def test_another_organisation_gets_404_everywhere(
    leaders: Bureau, notice: Notice, api: Any
) -> None:
    propose(api, leaders, notice, leaders=["leader_1"])
    other = OrganisationFactory(name="舞阳县农业农村局")
    clerk = api(PersonFactory(username="their_clerk", organisation=other, roles=[CLERK]))
    leader = api(PersonFactory(username="their_leader", organisation=other, roles=[LEADER]))
    ins = instruction_id(notice, "leader_1")
    assert_error(clerk.get(f"/api/v1/notices/{notice.pk}/handling/"), 404, None)
    assert_error(
        clerk.post(f"/api/v1/notices/{notice.pk}/handling/", proposal_body(), format="json"),
        404,
        None,
    )
    assert_error(leader.post(f"/api/v1/handling/instructions/{ins}/", {"kind": "agree"}), 404, None)
    assert_error(
        clerk.post(f"/api/v1/notices/{notice.pk}/recall/", {"person": "bgs_1", "reason": "x"}),
        404,
        None,
    )
    assert leader.get("/api/v1/handling/pending/").json() == {
        "instructions": [],
        "assignments": [],
    }


def test_recall_one_recipient(leaders: Bureau, notice: Notice, api: Any) -> None:
    propose(api, leaders, notice, leaders=["leader_1"])
    api(leaders.person("leader_1")).post(
        f"/api/v1/handling/instructions/{instruction_id(notice, 'leader_1')}/", {"kind": "agree"}
    )
    url = f"/api/v1/notices/{notice.pk}/recall/"
    assert_error(api(leaders.clerk).post(url, {"person": "bgs_1", "reason": ""}), 400, "reason")
    answer = api(leaders.clerk).post(url, {"person": "bgs_1", "reason": "误选"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "cancelled"
    assert answer.json()["username"] == "bgs_1"


def test_the_pending_list_costs_the_same_for_1_and_12_items(leaders: Bureau, api: Any) -> None:
    leader = leaders.person("leader_1")
    client = api(leader)

    def count() -> tuple[int, int]:
        client.get("/api/v1/handling/pending/")  # warm the session and token lookups
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/handling/pending/")
        return len(queries), len(answer.json()["instructions"])

    first = action_notice(leaders, "舞工信〔2022〕50号")
    propose(api, leaders, first, leaders=["leader_1"])
    one, items = count()
    assert items == 1
    for serial in range(51, 62):
        propose(
            api, leaders, action_notice(leaders, f"舞工信〔2022〕{serial}号"), leaders=["leader_1"]
        )
    twelve, items = count()
    assert items == 12
    assert twelve == one
    assert one <= 6, one  # auth (token + person) and the two lists


def test_the_case_costs_the_same_with_more_leaders_units_and_replies(
    leaders: Bureau, api: Any
) -> None:
    clerk = api(leaders.clerk)

    def cost(notice: Notice) -> int:
        url = f"/api/v1/notices/{notice.pk}/handling/"
        clerk.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert clerk.get(url).status_code == 200
        return len(queries)

    reply = {"text": "电话答复。", "replied_on": str(timezone.localdate()), "channel": "phone"}
    small = action_notice(leaders, "舞工信〔2022〕70号")
    propose(api, leaders, small, leaders=["leader_1"], co_units=[], readers=[])
    api(leaders.person("leader_1")).post(
        f"/api/v1/handling/instructions/{instruction_id(small, 'leader_1')}/", {"kind": "agree"}
    )
    clerk.post(f"/api/v1/notices/{small.pk}/handling/reply/", reply, format="json")
    big = action_notice(leaders, "舞工信〔2022〕71号")
    propose(api, leaders, big, co_units=["ZXFW", "BGS"], readers=["bgs_1", "bgs_2", "gyg_1"])
    for username in ("leader_1", "leader_2"):
        api(leaders.person(username)).post(
            f"/api/v1/handling/instructions/{instruction_id(big, username)}/",
            {"kind": "text", "text": "同意。", "readers": ["bgs_3", "gyg_2"]},
            format="json",
        )
    for text in ("电话答复。", "书面答复。"):
        clerk.post(
            f"/api/v1/notices/{big.pk}/handling/reply/", {**reply, "text": text}, format="json"
        )
    assert cost(big) == cost(small) <= 16


def test_the_schema_documents_every_handling_endpoint(leaders: Bureau, api: Any) -> None:
    answer = api(leaders.clerk).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path in [
        "/api/v1/notices/{id}/handling/",
        "/api/v1/notices/{id}/handling/reply/",
        "/api/v1/notices/{id}/recall/",
        "/api/v1/handling/pending/",
        "/api/v1/handling/instructions/{id}/",
        "/api/v1/handling/assignments/{id}/accept/",
        "/api/v1/handling/assignments/{id}/result/",
        "/api/v1/handling/assignments/{id}/files/",
        "/api/v1/handling/replies/{id}/files/",
        "/api/v1/handling/files/{id}/",
    ]:
        assert path in paths, path
