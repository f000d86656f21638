"""Small builders for the records used across tests (factory_boy)."""

from typing import Any

import factory
from django.contrib.auth.models import Group

from circulation.records.models import Membership, Organisation, Person, Unit, UnitKind
from circulation.records.roles import STAFF, UNIT_HEAD

PASSWORD = "correct-horse-9"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = "舞阳县工业和信息化局"
    short_name = "舞阳县工信局"
    fonds_code = "Z109"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.Sequence(lambda n: f"第{n}股")
    kind = UnitKind.SECTION


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"张{n}")
    email = factory.LazyAttribute(lambda p: f"{p.username}@example.cn")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for role in extracted or [STAFF]:
            group, _ = Group.objects.get_or_create(name=role)
            self.groups.add(group)
        self.save()


def member(person: Person, unit: Unit, *, primary: bool = True) -> Person:
    Membership.objects.get_or_create(person=person, unit=unit, defaults={"is_primary": primary})
    return person


def unit_with_staff(organisation: Organisation, code: str, staff: int = 3, **kwargs: Any) -> Unit:
    """A unit with a head (``<code>_head``) and ``staff`` members (``<code>_1`` …)."""
    unit = UnitFactory(organisation=organisation, code=code, **kwargs)
    head = PersonFactory(
        username=f"{code.lower()}_head", organisation=organisation, roles=[UNIT_HEAD, STAFF]
    )
    member(head, unit)
    unit.head = head
    unit.save(update_fields=["head"])
    for index in range(1, staff + 1):
        member(PersonFactory(username=f"{code.lower()}_{index}", organisation=organisation), unit)
    return unit
