"""Builders the tests share: the sample notice's registration fields and the small bureau.

Import them from here (``from tests.builders import Bureau``), never from a conftest;
``tests/conftest.py`` makes the ``bureau`` and ``sample_payload`` fixtures from them."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from circulation.records.models import Membership, Organisation, Person, Unit, UnitKind
from circulation.records.roles import ARCHIVIST, CLERK
from tests.factories import OrganisationFactory, PersonFactory, member, unit_with_staff

SAMPLE = {
    "doc_number": "舞工信〔2022〕25号",
    "title": "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知",
    "issuer": "舞阳县工业和信息化局",
    "doc_type": "通知",
    "issued_on": "2022-09-29",
    "secrecy": "public",
    "urgency": "normal",
    "handling": "read",
    "instruction": "请各股室认真学习",
    "forwards": ["国务院关于加强数字政府建设的指导意见"],
}


@dataclass
class Bureau:
    org: Organisation
    clerk: Person
    archivist: Person
    units: dict[str, Unit]

    def person(self, username: str) -> Person:
        return Person.objects.get(username=username)


def build_bureau(*, with_archivist: bool = True) -> Bureau:
    """The small bureau: 办公室, 工业股 and 县中小企业服务中心 (a head and three staff each), the
    clerk and (unless told otherwise) the archivist, both of 办公室, the filing unit."""
    org = OrganisationFactory()
    units = {
        "BGS": unit_with_staff(org, "BGS", name="办公室", sort_order=1),
        "GYG": unit_with_staff(org, "GYG", name="工业股", sort_order=2),
        "ZXFW": unit_with_staff(
            org, "ZXFW", name="县中小企业服务中心", kind=UnitKind.INSTITUTION, sort_order=3
        ),
    }
    clerk = member(
        PersonFactory(username="clerk", display_name="王收发", organisation=org, roles=[CLERK]),
        units["BGS"],
    )
    archivist = clerk
    if with_archivist:
        archivist = member(
            PersonFactory(
                username="archivist", display_name="李档案", organisation=org, roles=[ARCHIVIST]
            ),
            units["BGS"],
        )
    org.filing_unit = units["BGS"]
    org.save()
    return Bureau(org=org, clerk=clerk, archivist=archivist, units=units)


def big_units(bureau: Bureau, people: int, units: int = 10) -> list[str]:
    """``units`` more 股室 (BIG0, BIG1, …) sharing ``people`` staff, made in bulk; their codes."""
    codes = []
    for index in range(units):
        unit = Unit.objects.create(
            organisation=bureau.org, code=f"BIG{index}", name=f"大机构{index}", kind="section"
        )
        codes.append(unit.code)
        members = bulk_people(bureau, f"big{index}_", people // units)
        Membership.objects.bulk_create(Membership(person=p, unit=unit) for p in members)
    return codes


def bulk_people(bureau: Bureau, prefix: str, count: int) -> list[Person]:
    """``count`` people of the bureau, ``<prefix>0`` … (display name 人员<n>), made with one
    INSERT and an unusable password (no hashing)."""
    password = make_password(None)
    return Person.objects.bulk_create(
        Person(
            username=f"{prefix}{n}",
            display_name=f"人员{n}",
            organisation=bureau.org,
            password=password,
        )
        for n in range(count)
    )
