"""The nav's 批办 link (issue 16): every role with a 批办 page sees it — a 领导班子 member, the
局领导 role alone, the 办公室主任, unit heads and the desk — and nobody else; the role costs no
statement of its own (it comes with the sign-in query)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from circulation.records.models import Person
from circulation.records.roles import LEADER, OFFICE_DIRECTOR
from tests.builders import Bureau
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

LINK = 'href="/handling/"'


def page(person: Person, url: str = "/inbox/") -> str:
    client = Client()
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", [LEADER, OFFICE_DIRECTOR])
def test_the_leader_role_and_the_office_director_see_the_handling_link(
    bureau: Bureau, role: str
) -> None:
    person = PersonFactory(username=f"only_{role}", organisation=bureau.org, roles=[role])
    assert LINK in page(person)
    assert page(person, "/handling/")  # and the page opens for them


def test_staff_without_a_handling_role_do_not_see_it(bureau: Bureau) -> None:
    person = PersonFactory(username="plain", organisation=bureau.org)
    assert LINK not in page(person)
    assert 'href="/dashboard/"' not in page(person)


def test_the_leader_role_alone_sees_the_dashboard_link_it_may_open(bureau: Bureau) -> None:
    """统计 opens for the 局领导 role as for a 领导班子 member (selectors.is_leader): so the nav
    offers it too."""
    person = PersonFactory(username="only_leader", organisation=bureau.org, roles=[LEADER])
    assert 'href="/dashboard/"' in page(person)
    assert page(person, "/dashboard/")


def test_the_leader_role_costs_no_statement(bureau: Bureau) -> None:
    leader = PersonFactory(username="only_leader", organisation=bureau.org, roles=[LEADER])
    plain = PersonFactory(username="plain", organisation=bureau.org)
    counts = []
    for person in (leader, plain):
        client = Client()
        client.force_login(person)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/inbox/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
