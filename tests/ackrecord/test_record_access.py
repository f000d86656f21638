"""Who reads the 阅知确认单 (a roster of every recipient, 学习体会 and return reason): the clerks,
archivists, administrators and the organisation's leaders; recipients, unit heads and anyone of
another organisation get 404. The verify page answers people of the record's organisation only."""

from typing import Any

import pytest
from django.test import Client

from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import current_record
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Person, UnitKind
from circulation.records.roles import ADMIN, ARCHIVIST, CLERK
from tests.ackrecord.builders import Circulated
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory, unit_with_staff
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def second_org_clerk(db: Any) -> Person:
    other = OrganisationFactory(name="漯河市工业和信息化局", fonds_code="Z200")
    return PersonFactory(username="lh_clerk", organisation=other, roles=[CLERK, ARCHIVIST])


@pytest.fixture
def leader(bureau: Bureau) -> Person:
    """A member of the 领导班子 (staff role only): one of the organisation's leaders."""
    unit_with_staff(bureau.org, "LDBZ", staff=1, name="局领导班子", kind=UnitKind.LEADERSHIP)
    return bureau.person("ldbz_1")


def record_url(circulated: Circulated) -> str:
    return f"/api/v1/notices/{circulated.notice.pk}/record.pdf"


def test_clerks_archivists_admins_and_leaders_get_the_whole_record(
    circulated: Circulated, bureau: Bureau, leader: Person, api: Any
) -> None:
    administrator = PersonFactory(username="admin1", organisation=bureau.org, roles=[ADMIN])
    url = record_url(circulated)
    for reader in (bureau.clerk, bureau.archivist, administrator, leader):
        response = api(reader).get(url)
        assert response.status_code == 200, reader.username
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    downloads = AuditEvent.objects.filter(action="record.downloaded")
    assert sorted(downloads.values_list("actor_username", flat=True)) == sorted(
        ["clerk", "archivist", "admin1", "ldbz_1"]
    )


def test_recipients_unit_heads_and_other_organisations_get_404(
    circulated: Circulated, bureau: Bureau, outsider: Person, second_org_clerk: Person, api: Any
) -> None:
    url = record_url(circulated)
    missing = api(bureau.clerk).get("/api/v1/notices/999999/record.pdf").json()
    gyg_head = bureau.person("gyg_head")  # head of a recipient unit, a recipient too
    assert circulated.notice.acknowledgements.filter(person=gyg_head).exists()
    for caller in (bureau.person("gyg_1"), gyg_head, bureau.person("zxfw_head"), outsider):
        response = api(caller).get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 404, caller.username
        assert response.json() == missing
    # Another organisation's clerk and archivist: as if the notice did not exist.
    response = api(second_org_clerk).get(url)
    assert response.status_code == 404
    assert response.json() == missing
    assert not AuditEvent.objects.filter(action="record.downloaded").exists()
    assert not RecordRendition.objects.exists()  # nothing rendered for them either


def test_a_leader_of_another_organisation_gets_404(
    circulated: Circulated, second_org_clerk: Person, api: Any
) -> None:
    other = second_org_clerk.organisation
    assert other is not None
    unit_with_staff(other, "LDBZ", staff=1, name="领导班子", kind=UnitKind.LEADERSHIP)
    foreign_leader = Person.objects.get(username="ldbz_1")
    assert api(foreign_leader).get(record_url(circulated)).status_code == 404


def test_the_verify_page_answers_the_records_organisation_only(
    circulated: Circulated, bureau: Bureau, outsider: Person, second_org_clerk: Person
) -> None:
    rendition = current_record(circulated.notice)
    url = f"/records/{rendition.pk}/verify/"

    def page(user: Person) -> Any:
        client = Client()
        client.force_login(user, backend=MODEL_BACKEND)
        return client.get(url)

    for same_org in (outsider, bureau.person("gyg_1")):
        response = page(same_org)
        assert response.status_code == 200
        assert rendition.sha256 in response.content.decode()
    foreign = page(second_org_clerk)
    assert foreign.status_code == 404
    assert circulated.notice.doc_number not in foreign.content.decode()
    missing = Client()
    missing.force_login(second_org_clerk, backend=MODEL_BACKEND)
    absent = missing.get("/records/00000000-0000-0000-0000-000000000000/verify/")
    assert absent.status_code == foreign.status_code
    root = Person.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    assert page(root).status_code == 200


def test_the_archived_record_is_for_the_archive_and_the_record_readers(
    circulated: Circulated, bureau: Bureau, leader: Person, second_org_clerk: Person, api: Any
) -> None:
    record = archive_notice(Actor(bureau.archivist), circulated.notice.pk, retention="D30")
    archive_url = f"/api/v1/archive/{record.archival_code}/record.pdf"
    assert api(bureau.archivist).get(archive_url).status_code == 200
    # The archive itself stays the archivists' and administrators' (403 for a missing role) …
    for caller in (leader, bureau.person("gyg_head"), bureau.person("gyg_1")):
        assert api(caller).get(archive_url).status_code == 403, caller.username
    # … the other organisation's archivist does not see the record at all …
    assert api(second_org_clerk).get(archive_url).status_code == 404
    # … and the leader reads the frozen record through the notice, a recipient does not.
    frozen = api(leader).get(record_url(circulated))
    assert frozen.status_code == 200
    assert RecordRendition.objects.get(pk=frozen["X-Record-Id"]).frozen
    assert api(bureau.person("gyg_1")).get(record_url(circulated)).status_code == 404
