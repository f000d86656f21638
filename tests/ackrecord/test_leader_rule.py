"""One rule for "leader" (局领导): the ``leader`` role, or a seat in an active 领导班子 unit of the
person's organisation (``circulation.records.selectors.is_leader``). The 阅知确认单, 统计, the
批示 and the 代理 of a 批示 all ask it: a leader by role alone reads the whole record and opens
the statistics like a 领导班子 member; a dissolved 领导班子 (inactive unit) no longer counts."""

from typing import Any

import pytest
from django.test import Client

from circulation.records import selectors
from circulation.records.models import Person, Unit, UnitKind
from circulation.records.roles import LEADER, STAFF
from tests.ackrecord.builders import Circulated
from tests.builders import Bureau
from tests.factories import PersonFactory, unit_with_staff
from workflows.services import delegation, handling_common

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def role_leader(bureau: Bureau) -> Person:
    """局领导 by role only: no seat in any 领导班子 unit."""
    return PersonFactory(username="role_leader", organisation=bureau.org, roles=[STAFF, LEADER])


@pytest.fixture
def seat_leader(bureau: Bureau) -> Person:
    """A 领导班子 member with the staff role only."""
    unit_with_staff(bureau.org, "LDBZ", staff=1, name="局领导班子", kind=UnitKind.LEADERSHIP)
    return bureau.person("ldbz_1")


def test_a_role_only_leader_reads_the_record_and_opens_statistics_like_a_seat(
    circulated: Circulated,
    bureau: Bureau,
    role_leader: Person,
    seat_leader: Person,
    outsider: Person,
    api: Any,
) -> None:
    record = f"/api/v1/notices/{circulated.notice.pk}/record.pdf"
    for leader in (role_leader, seat_leader):
        response = api(leader).get(record)
        assert response.status_code == 200, leader.username
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert api(leader).get("/api/v1/stats/").status_code == 200, leader.username
        page = signed_in(leader).get("/dashboard/")
        assert page.status_code == 200, leader.username
        assert "传阅统计" in page.content.decode()
    # staff without either still get 404 for the record and 403 for the statistics
    assert api(outsider).get(record).status_code == 404
    assert api(outsider).get("/api/v1/stats/").status_code == 403
    assert signed_in(outsider).get("/dashboard/").status_code == 403


def test_the_same_answer_everywhere_in_one_statement(
    bureau: Bureau,
    role_leader: Person,
    seat_leader: Person,
    outsider: Person,
    django_assert_num_queries: Any,
) -> None:
    assert handling_common.is_leader is selectors.is_leader
    assert delegation.is_leader is selectors.is_leader
    for person, expected in ((role_leader, True), (seat_leader, True), (outsider, False)):
        with django_assert_num_queries(1):
            assert selectors.is_leader(person) is expected, person.username


def test_a_dissolved_leadership_unit_or_an_inactive_person_is_no_leader(
    circulated: Circulated,
    bureau: Bureau,
    role_leader: Person,
    seat_leader: Person,
    api: Any,
) -> None:
    Unit.objects.filter(code="LDBZ", organisation=bureau.org).update(is_active=False)
    assert not selectors.is_leader(seat_leader)
    record = f"/api/v1/notices/{circulated.notice.pk}/record.pdf"
    assert api(seat_leader).get(record).status_code == 404
    assert api(seat_leader).get("/api/v1/stats/").status_code == 403
    role_leader.is_active = False
    assert not selectors.is_leader(role_leader)
