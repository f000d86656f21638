"""Appointing and cancelling a delegate, and who acts for whom over the period's edges."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.errors import Conflict, Forbidden, InvalidInput, NotVisible
from circulation.records.models import AuditEvent, Person
from tests.builders import Bureau
from tests.delegation.builders import appoint
from tests.factories import OrganisationFactory, PersonFactory
from workflows.models import Delegation
from workflows.services.delegation import (
    cancel_delegation,
    principals_for,
    resolve_actor,
)

pytestmark = pytest.mark.django_db


def test_the_period_is_half_open_and_a_cancelled_delegation_acts_no_more(bureau: Bureau) -> None:
    gyg_1, gyg_2 = bureau.person("gyg_1"), bureau.person("gyg_2")
    start = timezone.now() + timedelta(hours=1)
    delegation = appoint(gyg_1, gyg_2, starts_at=start, ends_at=start + timedelta(days=2))

    assert principals_for(gyg_2, start - timedelta(seconds=1)) == []  # before
    assert principals_for(gyg_2, start) == [gyg_1]  # from the start
    assert principals_for(gyg_2, start + timedelta(days=1)) == [gyg_1]  # within
    assert principals_for(gyg_2, start + timedelta(days=2)) == []  # the end is not in it
    assert principals_for(gyg_1, start + timedelta(days=1)) == []  # not the other way round

    cancel_delegation(Actor(gyg_1), delegation.pk)
    assert principals_for(gyg_2, start + timedelta(days=1)) == []
    actions = list(
        AuditEvent.objects.filter(object_type="workflows.delegation").values_list(
            "action", "actor_username"
        )
    )
    assert actions == [("delegation.appointed", "gyg_1"), ("delegation.cancelled", "gyg_1")]


def test_resolve_actor_names_the_principal_for_the_audit(bureau: Bureau) -> None:
    gyg_1, gyg_2, gyg_3 = (bureau.person(f"gyg_{n}") for n in (1, 2, 3))
    delegation = appoint(gyg_1, gyg_2)
    with transaction.atomic():
        acting = resolve_actor(gyg_2, gyg_1.pk)
    assert acting.acted_by == gyg_2
    assert acting.audit_data() == {
        "on_behalf_of": "gyg_1",
        "on_behalf_of_name": gyg_1.name,
        "delegation": delegation.pk,
    }
    assert resolve_actor(gyg_1, gyg_1.pk, lock=False).audit_data() == {}
    with pytest.raises(NotVisible):  # not their delegate: as if the item did not exist
        resolve_actor(gyg_3, gyg_1.pk, lock=False)


@pytest.mark.parametrize(
    ("delegate", "shift", "length", "code"),
    [
        ("gyg_1", 0, 1, "self"),
        ("gyg_2", 0, -1, "ends_before_start"),
        ("gyg_2", -2, 1, "in_the_past"),
        ("gyg_2", 0, 400, "out_of_range"),
        ("nobody", 0, 1, "unknown_person"),
        ("stranger", 0, 1, "unknown_person"),  # another organisation's person
    ],
)
def test_bad_appointments_are_refused_with_the_field_named(
    bureau: Bureau, delegate: str, shift: int, length: int, code: str
) -> None:
    other = OrganisationFactory(name="舞阳县发展和改革委员会")
    PersonFactory(username="stranger", organisation=other)
    start = timezone.now() + timedelta(days=shift)
    with pytest.raises(InvalidInput) as caught:
        appoint(
            bureau.person("gyg_1"),
            delegate,
            starts_at=start,
            ends_at=start + timedelta(days=length),
        )
    assert caught.value.code == code
    assert caught.value.field in {"delegate", "starts_at", "ends_at"}
    assert caught.value.message
    assert caught.value.message_en
    assert not Delegation.objects.exists()


def test_overlapping_periods_are_refused_adjacent_ones_accepted(bureau: Bureau) -> None:
    gyg_1 = bureau.person("gyg_1")
    start = timezone.now() + timedelta(hours=1)
    first = appoint(gyg_1, "gyg_2", starts_at=start, ends_at=start + timedelta(days=2))
    with pytest.raises(Conflict) as caught:
        appoint(
            gyg_1, "gyg_3", starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=3)
        )
    assert caught.value.code == "overlapping"
    assert caught.value.extra == {"existing": first.pk}
    appoint(gyg_1, "gyg_3", starts_at=start + timedelta(days=2), ends_at=start + timedelta(days=3))
    # someone else may name the same delegate for the same days
    appoint(bureau.person("bgs_1"), "gyg_2", starts_at=start, ends_at=start + timedelta(days=2))
    # after a cancellation the days are free again
    cancel_delegation(Actor(gyg_1), first.pk)
    appoint(gyg_1, "bgs_2", starts_at=start, ends_at=start + timedelta(days=1))


def test_the_database_refuses_overlaps_whatever_the_way_in(bureau: Bureau) -> None:
    gyg_1, gyg_2 = bureau.person("gyg_1"), bureau.person("gyg_2")
    now = timezone.now()
    fields: dict[str, Any] = {"principal": gyg_1, "created_by": gyg_1}
    Delegation.objects.create(
        delegate=gyg_2, starts_at=now, ends_at=now + timedelta(days=1), **fields
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegation.objects.create(
            delegate=bureau.person("gyg_3"),
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(days=2),
            **fields,
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # no self-delegation
        Delegation.objects.create(
            delegate=gyg_1,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=4),
            **fields,
        )


def test_a_leader_delegates_only_to_a_leader(
    bureau: Bureau, leaders: tuple[Person, Person]
) -> None:
    first, second = leaders
    with pytest.raises(InvalidInput) as caught:
        appoint(first, "bgs_head")
    assert caught.value.code == "delegate_not_leader"
    assert caught.value.field == "delegate"
    appoint(first, second)
    # staff may name a leader
    appoint(bureau.person("gyg_1"), first)

    # a delegate who left the leadership may no longer give the leader's 批示
    second.memberships.all().delete()
    with pytest.raises(Forbidden):
        resolve_actor(second, first.pk, lock=False, leader_only=True)
    assert resolve_actor(second, first.pk, lock=False).acted_by == second  # 阅知 still


def test_only_an_administrator_appoints_for_someone_else_and_only_they_cancel(
    bureau: Bureau,
) -> None:
    from workflows.services.delegation import DelegationInput, appoint_delegate

    ends = timezone.now() + timedelta(days=1)
    with pytest.raises(Forbidden):
        appoint_delegate(
            Actor(bureau.person("gyg_1")),
            DelegationInput(delegate="gyg_2", ends_at=ends, principal="gyg_3"),
        )
    delegation = appoint(bureau.person("gyg_1"), "gyg_2")
    with pytest.raises(NotVisible):  # the delegate cannot cancel it, others cannot see it
        cancel_delegation(Actor(bureau.person("gyg_3")), delegation.pk)
    assert cancel_delegation(Actor(bureau.person("gyg_1")), delegation.pk).cancelled_at
    again = cancel_delegation(Actor(bureau.person("gyg_1")), delegation.pk)  # no second event
    assert again.cancelled_at is not None
    assert AuditEvent.objects.filter(action="delegation.cancelled").count() == 1


def test_the_leader_role_counts_as_leadership(bureau: Bureau) -> None:
    """A leader by role (``leader``, 局领导) without a 领导班子 unit: the same rule."""
    from django.contrib.auth.models import Group

    leader = PersonFactory(username="juzhang", organisation=bureau.org)
    leader.groups.add(Group.objects.get_or_create(name="leader")[0])
    with pytest.raises(InvalidInput):
        appoint(leader, "gyg_1")
    deputy = PersonFactory(username="fujuzhang", organisation=bureau.org)
    deputy.groups.add(Group.objects.get_or_create(name="leader")[0])
    assert appoint(leader, deputy).delegate == deputy
