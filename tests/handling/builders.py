"""Builders of the 批办 tests (the pages' tests use them too)."""

from circulation.records.models import UnitKind
from circulation.records.roles import LEADER, OFFICE_DIRECTOR
from tests.builders import Bureau
from tests.factories import PersonFactory, UnitFactory, member


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
