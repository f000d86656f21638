"""Shared fixtures: a small bureau (clerk, archivist, three units of a head and three staff),
API clients authenticated with real tokens, and the sample notice's registration payload."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from circulation.records.models import Organisation, Person, Unit, UnitKind
from circulation.records.roles import ARCHIVIST, CLERK, STAFF
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


@pytest.fixture
def bureau(db: Any) -> Bureau:
    return build_bureau()


@pytest.fixture
def api() -> Callable[[Person | None], APIClient]:
    """``api(user)`` → an APIClient that sends ``Authorization: Token …`` for that user."""

    def make(user: Person | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            _instance, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def sample_payload() -> dict[str, Any]:
    return dict(SAMPLE)


@pytest.fixture
def outsider(bureau: Bureau) -> Person:
    """Staff of the organisation who is not a recipient of anything."""
    return PersonFactory(username="outsider", organisation=bureau.org, roles=[STAFF])


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    """A fresh MEDIA_ROOT for the test: uploads, records and sealed files land here."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def _flush_as_replica() -> None:
    """The audit tables refuse TRUNCATE (records migration 0004), and Django's ``flush`` (the
    teardown of ``transaction=True`` tests, ``call_command("flush")``) truncates every table: in
    tests it runs in a replica session, where triggers do not fire (the test user is a
    superuser, as only a superuser may do this)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, *args: Any, **kwargs: Any) -> list[str]:
        statements = original(self, *args, **kwargs)
        if not statements:
            return statements
        return ["SET LOCAL session_replication_role = replica", *statements]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_as_replica()
