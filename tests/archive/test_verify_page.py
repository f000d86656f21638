"""The QR verify page (``/records/<id>/verify/``) of an archived record: opening it shows the last
stored full check (its result, when, by whom) and runs none; "verify now" (POST with the CSRF
token) runs the archivist page's check (``archiving.check_record``), records it and shows it; a
person may do so ``VERIFY_NOW_PER_HOUR`` times an hour (429 with Retry-After beyond, in both
languages), others are not held back by it."""

from typing import Any

import pytest
from django.test import Client

from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Notice, Person
from tests.builders import Bureau
from tests.helpers import ack_of, write_around_audit_trigger
from workflows.services import archiving
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(bureau: Bureau, sealed_with: Any, sample_completed: Notice) -> ArchivedRecord:
    sealed_with()
    return archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")


def _url(record: ArchivedRecord) -> str:
    frozen = record.notice.record_renditions.get(frozen=True)
    return f"/records/{frozen.pk}/verify/"


def _client(person: Person, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(person)
    return client


def _verified_events(record: ArchivedRecord) -> int:
    return AuditEvent.objects.filter(notice_id=record.notice_id, action="archive.verified").count()


def test_opening_the_page_shows_the_stored_check_and_runs_none(
    bureau: Bureau, record: ArchivedRecord, monkeypatch: Any, django_assert_max_num_queries: Any
) -> None:
    staff = _client(bureau.person("gyg_2"))
    url = _url(record)
    staff.get(url)  # warm per-process caches (session, content types)

    def no_full_check(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("GET ran a full verification")

    monkeypatch.setattr(archiving, "verify_record", no_full_check)
    with django_assert_max_num_queries(12):
        html = staff.get(url).content.decode()
    assert record.archival_code in html
    assert record.record_sha256 in html
    assert "尚未做过完整校验" in html
    assert "Not fully verified yet" in html
    assert 'name="csrfmiddlewaretoken"' in html
    monkeypatch.undo()

    archiving.check_record(Actor(bureau.archivist), record)  # the archivist's page did one
    monkeypatch.setattr(archiving, "verify_record", no_full_check)
    html = staff.get(url).content.decode()
    assert "归档文件完整" in html
    assert "The sealed record is intact" in html
    assert bureau.archivist.display_name in html
    assert "电子签章有效" in html  # the stored signature line, both languages
    assert "Signature valid" in html


def test_verify_now_needs_the_csrf_token(bureau: Bureau, record: ArchivedRecord) -> None:
    staff = _client(bureau.person("gyg_2"), csrf=True)
    assert staff.post(_url(record)).status_code == 403
    assert _verified_events(record) == 0


def test_verify_now_checks_records_and_shows_the_result(
    bureau: Bureau, record: ArchivedRecord
) -> None:
    person = bureau.person("gyg_2")
    staff = _client(person, csrf=True)
    url = _url(record)
    token = staff.get(url).cookies["csrftoken"].value
    response = staff.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == url
    assert _verified_events(record) == 1
    event = AuditEvent.objects.get(notice_id=record.notice_id, action="archive.verified")
    assert event.actor_username == person.username
    html = staff.get(url).content.decode()
    assert "归档文件完整" in html
    assert person.display_name in html

    # A change around the sealing trigger: the next check names it on the page.
    ack = ack_of(record.notice, "gyg_1")
    write_around_audit_trigger(
        "UPDATE records_acknowledgement SET comment = %s WHERE id = %s", ["改过", ack.pk]
    )
    staff.post(url, {"csrfmiddlewaretoken": token})
    html = staff.get(url).content.decode()
    assert "归档文件校验发现问题" in html
    assert "gyg_1" in html
    assert "comment differs from the sealed record" in html


def test_verify_now_is_limited_per_person(
    bureau: Bureau, record: ArchivedRecord, settings: Any
) -> None:
    settings.VERIFY_NOW_PER_HOUR = 2
    url = _url(record)
    staff = _client(bureau.person("gyg_2"))
    assert [staff.post(url).status_code for _ in range(2)] == [302, 302]
    refused = staff.post(url)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert "校验过于频繁" in html
    assert "Too many checks" in html
    assert record.archival_code in html  # the page itself, with its stored check
    other = _client(bureau.person("gyg_3"))
    assert other.post(url).status_code == 302


def test_another_organisation_gets_404(bureau: Bureau, record: ArchivedRecord) -> None:
    from tests.factories import OrganisationFactory, PersonFactory

    stranger = PersonFactory(
        organisation=OrganisationFactory(name="舞阳县教育局", fonds_code="Z110")
    )
    client = _client(stranger)
    assert client.get(_url(record)).status_code == 404
    assert client.post(_url(record)).status_code == 404
    assert _verified_events(record) == 0
