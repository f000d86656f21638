"""Builders of the 批办 tests (the pages', reminders' and records' tests use them too): the
leaders, a 批办 notice and a 拟办 request body. Import them from here; the ``leaders`` fixture is in
tests/conftest.py, the ``notice`` fixture in tests/handling/conftest.py."""

from typing import Any

from circulation.records.actors import Actor
from circulation.records.models import Notice, UnitKind
from circulation.records.roles import LEADER, OFFICE_DIRECTOR
from tests.builders import SAMPLE, Bureau
from tests.factories import PersonFactory, UnitFactory, member
from workflows.services.registration import NoticeInput, register_notice


def add_leaders(bureau: Bureau) -> Bureau:
    """Adds 局长 ``leader_1`` (leader role) and 副局长 ``leader_2`` (a member of 领导班子 JLD,
    no role: membership alone makes a leader), and 办公室主任 ``director`` in 办公室."""
    unit = UnitFactory(
        organisation=bureau.org, code="JLD", name="局领导", kind=UnitKind.LEADERSHIP, sort_order=0
    )
    bureau.units["JLD"] = unit
    member(
        PersonFactory(
            username="leader_1", display_name="赵局长", organisation=bureau.org, roles=[LEADER]
        ),
        unit,
    )
    member(
        PersonFactory(username="leader_2", display_name="钱副局长", organisation=bureau.org), unit
    )
    member(
        PersonFactory(
            username="director",
            display_name="孙主任",
            organisation=bureau.org,
            roles=[OFFICE_DIRECTOR],
        ),
        bureau.units["BGS"],
    )
    return bureau


def action_notice(bureau: Bureau, doc_number: str = "舞工信〔2022〕31号") -> Notice:
    """The sample notice registered for 批办 (handling "action") under ``doc_number``."""
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number", "handling"}}
    return register_notice(
        Actor(bureau.clerk), NoticeInput(doc_number=doc_number, handling="action", **fields)
    ).notice


def proposal_body(**overrides: Any) -> dict[str, Any]:
    """The 拟办 the API takes: GYG leads, ZXFW helps, two readers of 办公室, both leaders asked."""
    body: dict[str, Any] = {
        "text": "拟请工业股牵头办理，县中小企业服务中心协办，报赵局长、钱副局长阅示。",
        "lead_unit": "GYG",
        "co_units": ["ZXFW"],
        "readers": ["bgs_1", "bgs_2"],
        "leaders": ["leader_1", "leader_2"],
        "due_working_days": 5,
        "reply_expected": False,
    }
    body.update(overrides)
    return body
