"""收文页 ``/notices/<id>/``: where every reminder link lands; each role sees its part."""

import io
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Person, Unit, UnitKind
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory, member
from tests.helpers import ack_of, circulating_notice, opened_ack, registered_notice, small_pdf
from tests.web.test_board import add_recipients, signed_in
from workflows.services.acknowledging import confirm_acknowledgement, return_acknowledgement
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(bureau: Bureau, media: Any) -> Any:
    """舞工信〔2022〕25号 with a PDF attachment, forwarded to 工业股 and 县中小企业服务中心:
    gyg_1 confirmed, gyg_2 returned it, gyg_3 is late, the rest pending."""
    registered = registered_notice(bureau.clerk)
    data = small_pdf("指导意见")
    add_attachment(Actor(bureau.clerk), registered.pk, "指导意见.pdf", io.BytesIO(data), len(data))
    forward_notice(Actor(bureau.clerk), registered.pk, ForwardRequest(unit_codes=["GYG", "ZXFW"]))
    opened_ack(registered, "gyg_1")
    confirm_acknowledgement(Actor(bureau.person("gyg_1")), ack_of(registered, "gyg_1").pk)
    return_acknowledgement(Actor(bureau.person("gyg_2")), ack_of(registered, "gyg_2").pk, "误发")
    Acknowledgement.objects.filter(notice=registered, person__username="gyg_3").update(
        due_at=timezone.now() - timedelta(hours=3)
    )
    registered.refresh_from_db()
    return registered


def page_of(person: Person, notice: Any, query: str = "") -> str:
    answer = signed_in(person).get(f"/notices/{notice.pk}/{query}")
    assert answer.status_code == 200, person.username
    return answer.content.decode()


def test_the_clerk_sees_everything(bureau: Bureau, notice: Any) -> None:
    html = page_of(bureau.clerk, notice)
    assert "舞工信〔2022〕25号" in html
    assert notice.title in html
    assert f'href="/notices/{notice.pk}/attachments/' in html
    assert "指导意见.pdf" in html
    assert "已确认 1/8" in html
    assert "工业股" in html
    assert "县中小企业服务中心" in html
    # who is pending or late (the default view of the roster), with their reminders
    assert "zxfw_1" not in html  # display names, not usernames
    gyg_3 = bureau.person("gyg_3")
    assert gyg_3.display_name in html
    assert "逾期 1 人" in html
    assert (
        bureau.person("gyg_1").display_name not in html.split('id="roster"')[1].split("</table>")[0]
    )
    returned = page_of(bureau.clerk, notice, "?who=returned")
    assert "误发" in returned
    assert bureau.person("gyg_2").display_name in returned
    assert f'href="/api/v1/notices/{notice.pk}/record.pdf"' in html
    # the history as a timeline, in Chinese
    for label in ("登记", "传阅", "确认阅知", "退回阅知"):
        assert f'<span class="timeline-action">{label}</span>' in html
    assert "原因：误发" in html


def test_the_history_names_each_action_in_the_reader_s_language(
    bureau: Bureau, notice: Any
) -> None:
    client = signed_in(bureau.clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/notices/{notice.pk}/").content.decode()
    for label in ("Register", "Circulate", "Confirmed as read", "Returned by recipient"):
        assert f'<span class="timeline-action">{label}</span>' in html
    assert '<span class="timeline-action">确认阅知</span>' not in html


def test_archivist_and_leader_see_everything_too(bureau: Bureau, notice: Any) -> None:
    leaders = Unit.objects.create(
        organisation=bureau.org, code="LD", name="局领导", kind=UnitKind.LEADERSHIP
    )
    leader = member(PersonFactory(username="leader", organisation=bureau.org), leaders)
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(usernames=["leader"]))
    for person in (bureau.archivist, leader):
        html = page_of(person, notice)
        assert "办理记录" in html
        assert "record.pdf" in html
        assert bureau.person("gyg_3").display_name in html


def test_a_unit_head_sees_their_units_recipients_only(bureau: Bureau, notice: Any) -> None:
    html = page_of(bureau.person("zxfw_head"), notice, "?who=all")
    assert bureau.person("zxfw_1").display_name in html
    assert bureau.person("gyg_3").display_name not in html
    assert "工业股" not in html
    assert "record.pdf" not in html
    assert "办理记录" not in html
    # their own acknowledgement too: the head is a recipient of their unit
    assert f'href="/inbox/{ack_of(notice, "zxfw_head").pk}/"' in html


def test_a_recipient_sees_the_notice_and_their_own_acknowledgement(
    bureau: Bureau, notice: Any
) -> None:
    html = page_of(bureau.person("gyg_3"), notice)
    assert notice.title in html
    assert "指导意见.pdf" in html
    assert f'href="/inbox/{ack_of(notice, "gyg_3").pk}/"' in html
    assert "去阅读并确认" in html
    assert "已逾期" in html
    assert "接收人" not in html
    assert "record.pdf" not in html
    assert "办理记录" not in html
    assert bureau.person("gyg_1").display_name not in html


def test_others_get_404_and_anonymous_users_sign_in(
    bureau: Bureau, notice: Any, outsider: Person
) -> None:
    link = reverse("notice-page", args=[notice.pk])
    assert link == f"/notices/{notice.pk}/"
    anonymous = Client().get(link)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{settings.LOGIN_URL}?next={link}"
    other_org = OrganisationFactory(name="舞阳县教育局", fonds_code="Z110")
    other_clerk = PersonFactory(username="other_clerk", organisation=other_org, roles=["clerk"])
    for person in (outsider, bureau.person("bgs_1"), bureau.person("bgs_head"), other_clerk):
        assert signed_in(person).get(link).status_code == 404, person.username
    assert signed_in(bureau.clerk).get("/notices/999999/").status_code == 404
    assert signed_in(bureau.clerk).post(link).status_code == 405


def test_user_text_is_escaped(bureau: Bureau, media: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    return_acknowledgement(Actor(bureau.person("gyg_1")), ack.pk, "<script>alert(1)</script>")
    html = page_of(bureau.clerk, notice, "?who=returned")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("recipients", [10, 1000])
def test_the_notice_page_costs_the_same_queries_for_10_or_1000_recipients(
    bureau: Bureau, recipients: int, django_assert_num_queries: Any
) -> None:
    notice = circulating_notice(bureau.clerk)
    add_recipients(notice, recipients - 4, overdue=3)
    client = signed_in(bureau.clerk)
    with django_assert_num_queries(10):
        answer = client.get(f"/notices/{notice.pk}/?who=all")
    assert answer.status_code == 200
    assert f"已确认 {Acknowledgement.objects.filter(state='confirmed').count()}/{recipients}" in (
        answer.content.decode()
    )
    head = signed_in(bureau.person("gyg_head"))
    with django_assert_num_queries(11):  # + the units they head
        assert head.get(f"/notices/{notice.pk}/").status_code == 200
