"""Builders of the delegation tests: a 领导班子 (two leaders) beside the units of the shared bureau,
and a delegation appointed through the service. Import them from here;
``tests/delegation/conftest.py`` makes the ``leaders`` fixture from them."""

from datetime import datetime, timedelta

from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Person, UnitKind
from tests.builders import Bureau
from tests.factories import PersonFactory, UnitFactory, member
from workflows.models import Delegation
from workflows.services.delegation import DelegationInput, appoint_delegate


def add_leadership(bureau: Bureau) -> tuple[Person, Person]:
    unit = UnitFactory(
        organisation=bureau.org, code="LDBZ", name="局领导班子", kind=UnitKind.LEADERSHIP
    )
    first = PersonFactory(username="leader_1", display_name="赵局长", organisation=bureau.org)
    second = PersonFactory(username="leader_2", display_name="钱副局长", organisation=bureau.org)
    member(first, unit)
    member(second, unit)
    return first, second


def appoint(
    principal: Person,
    delegate: Person | str,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    reason: str = "",
) -> Delegation:
    """``principal`` names ``delegate`` from ``starts_at`` (now) for a day (or to ``ends_at``)."""
    start = starts_at or timezone.now()
    username = delegate if isinstance(delegate, str) else delegate.username
    return appoint_delegate(
        Actor(principal),
        DelegationInput(
            delegate=username,
            starts_at=starts_at,
            ends_at=ends_at or start + timedelta(days=1),
            reason=reason,
        ),
    )
