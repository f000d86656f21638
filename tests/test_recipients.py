"""What recipients and the clerk need (issue 9): attachments a recipient can open, the
``/notices/<id>/`` link target, a duplicate named by its 收文登记号, units forwarded by name."""

import io
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Attachment, Notice, Person
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory, unit_with_staff
from tests.helpers import registered_notice, small_pdf
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db

NAME = "附件1 关于数字政府建设的指导意见.pdf"


@pytest.fixture
def with_attachment(bureau: Bureau, media: Any) -> tuple[Notice, Attachment, bytes]:
    notice = registered_notice(bureau.clerk)
    data = small_pdf("指导意见")
    attachment = add_attachment(Actor(bureau.clerk), notice.pk, NAME, io.BytesIO(data), len(data))
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=["GYG"]))
    return notice, attachment, data


def download_url(notice: Notice, attachment: Attachment) -> str:
    return f"/api/v1/notices/{notice.pk}/attachments/{attachment.pk}/"


def test_a_recipient_opens_the_attachment_of_a_circulating_notice(
    bureau: Bureau, api: Any, with_attachment: tuple[Notice, Attachment, bytes]
) -> None:
    notice, attachment, data = with_attachment
    answer = api(bureau.person("gyg_2")).get(download_url(notice, attachment))
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == data
    assert answer["Content-Type"] == "application/pdf"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Length"] == str(len(data))
    disposition = answer["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(NAME)}" in disposition
    # the detail lists it for the recipient, and the clerk and the unit head can open it too
    detail = api(bureau.person("gyg_2")).get(f"/api/v1/notices/{notice.pk}/").json()
    assert [a["id"] for a in detail["attachments"]] == [attachment.pk]
    for user in (bureau.clerk, bureau.person("gyg_head")):
        assert api(user).get(download_url(notice, attachment)).status_code == 200


def test_anyone_who_cannot_see_the_notice_gets_404(
    bureau: Bureau, api: Any, outsider: Person, with_attachment: tuple[Notice, Attachment, bytes]
) -> None:
    notice, attachment, _data = with_attachment
    other_org = OrganisationFactory(name="舞阳县教育局", fonds_code="Z110")
    other_clerk = PersonFactory(username="other_clerk", organisation=other_org, roles=["clerk"])
    for user in (outsider, bureau.person("bgs_1"), bureau.person("zxfw_head"), other_clerk):
        answer = api(user).get(download_url(notice, attachment))
        assert answer.status_code == 404, user.username
        assert answer.json()["code"] == "not_found"
    # an attachment of another notice through this notice's URL
    second = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    data = small_pdf()
    foreign = add_attachment(Actor(bureau.clerk), second.pk, "b.pdf", io.BytesIO(data), len(data))
    gyg_2 = api(bureau.person("gyg_2"))
    assert gyg_2.get(download_url(notice, foreign)).status_code == 404
    assert api().get(download_url(notice, attachment)).status_code == 401


def test_an_altered_file_is_refused_not_served(
    bureau: Bureau, api: Any, with_attachment: tuple[Notice, Attachment, bytes]
) -> None:
    notice, attachment, data = with_attachment
    with open(attachment.file.path, "r+b") as handle:
        handle.seek(len(data) // 2)
        handle.write(b"X")
    answer = api(bureau.person("gyg_1")).get(download_url(notice, attachment))
    assert answer.status_code == 409
    assert answer.json()["code"] == "file_altered"


def test_the_notice_link_takes_a_signed_in_user_somewhere_that_works(
    bureau: Bureau, outsider: Person
) -> None:
    """The link of every reminder is the web notice page (circulation/web/views/notice.py)."""
    notice = registered_notice(bureau.clerk)
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=["GYG"]))
    link = f"/notices/{notice.pk}/"

    anonymous = Client().get(link)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{settings.LOGIN_URL}?next={link}"

    for person in (Person.objects.get(pk=bureau.clerk.pk), bureau.person("gyg_1")):
        client = Client()
        client.force_login(person)
        page = client.get(link)
        assert page.status_code == 200
        assert notice.title in page.content.decode()

    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(link).status_code == 404
    stranger.force_login(bureau.person("gyg_1"))
    assert stranger.get("/notices/999999/").status_code == 404


def test_a_duplicate_names_the_registration_number(
    bureau: Bureau, api: Any, sample_payload: dict[str, Any]
) -> None:
    first = api(bureau.clerk).post("/api/v1/notices/", sample_payload, format="json")
    assert first.status_code == 201
    number = first.json()["registration_no"]
    again = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, "doc_number": "舞工信[2022]025号"}, format="json"
    )
    assert again.status_code == 409
    body = again.json()
    assert body["existing_registration_no"] == number
    assert body["existing_id"] == first.json()["id"]
    assert number in body["detail"]
    assert number in body["detail_en"]
    assert number in body["errors"][0]["message"]
    assert number in body["errors"][0]["message_en"]
    assert f"id {first.json()['id']}" not in body["detail"]


def test_units_may_be_given_by_their_chinese_name(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/",
        {"units": ["工业股", "zxfw"], "due_working_days": 5},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["recipients_added"] == 8
    units = set(Acknowledgement.objects.filter(notice=notice).values_list("unit__code", flat=True))
    assert units == {"GYG", "ZXFW"}


def test_an_unknown_or_ambiguous_name_refuses_the_whole_forward(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    unknown = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/", {"units": ["工业股", "规划股"]}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["unknown"] == ["规划股"]
    assert "规划股" in unknown.json()["detail"]
    unit_with_staff(bureau.org, "GYG2", name="工业股", staff=1)
    ambiguous = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/", {"units": ["工业股"]}, format="json"
    )
    assert ambiguous.status_code == 400
    assert ambiguous.json()["code"] == "ambiguous_unit"
    assert ambiguous.json()["errors"][0]["field"] == "units"
    assert not Acknowledgement.objects.filter(notice=notice).exists()
    # another organisation's unit of the same name is not ours
    other = OrganisationFactory(name="舞阳县教育局", fonds_code="Z110")
    unit_with_staff(other, "JYG", name="教育股", staff=1)
    foreign = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/", {"units": ["教育股"]}, format="json"
    )
    assert foreign.status_code == 400
    assert foreign.json()["unknown"] == ["教育股"]
