"""The small bureau plus two leaders (局领导, in the 领导班子 unit JLD) and a 批办 notice."""

from typing import Any

import pytest

from circulation.records.actors import Actor
from circulation.records.models import Notice
from tests.builders import SAMPLE, Bureau
from tests.handling.builders import add_leaders
from workflows.services.registration import NoticeInput, register_notice


@pytest.fixture
def leaders(bureau: Bureau) -> Bureau:
    """The bureau with two leaders and the 办公室主任 (``builders.add_leaders``)."""
    return add_leaders(bureau)


def action_notice(bureau: Bureau, doc_number: str = "舞工信〔2022〕31号") -> Notice:
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number", "handling"}}
    return register_notice(
        Actor(bureau.clerk), NoticeInput(doc_number=doc_number, handling="action", **fields)
    ).notice


@pytest.fixture
def notice(leaders: Bureau) -> Notice:
    return action_notice(leaders)


def proposal_body(**overrides: Any) -> dict[str, Any]:
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
