"""撤回 of one recipient from the notice page (issue 16): a "撤回" disclosure beside each open
recipient, a required reason, CSRF, htmx in place with a no-JS fallback; only those who may
withdraw notices (others 403, or 404 when they cannot see the notice); audited by the service;
the recipient's inbox no longer lists it; a recipient who already answered is a 409 said in
words at the page."""

import re
from typing import Any

import pytest
from django.test import Client

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, AuditAction, AuditEvent
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.helpers import ack_of, opened_ack, registered_notice
from tests.web.test_board import signed_in
from workflows.machines import AckState
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(bureau: Bureau) -> Any:
    """Forwarded to 工业股: gyg_1 confirmed, the rest open."""
    registered = registered_notice(bureau.clerk)
    forward_notice(Actor(bureau.clerk), registered.pk, ForwardRequest(unit_codes=["GYG"]))
    opened_ack(registered, "gyg_1")
    confirm_acknowledgement(Actor(bureau.person("gyg_1")), ack_of(registered, "gyg_1").pk)
    registered.refresh_from_db()
    return registered


def url(notice: Any) -> str:
    return f"/notices/{notice.pk}/recall/"


def of(notice: Any, username: str, reason: str) -> dict[str, Any]:
    """The form's fields for ``username``'s acknowledgement (the page names no usernames)."""
    return {"ack": ack_of(notice, username).pk, "reason": reason}


def hidden(notice: Any, username: str) -> str:
    return f'name="ack" value="{ack_of(notice, username).pk}"'


def test_the_clerk_recalls_one_recipient_without_script(bureau: Bureau, notice: Any) -> None:
    clerk = signed_in(bureau.clerk)
    page = clerk.get(f"/notices/{notice.pk}/").content.decode()
    # a disclosure beside each open recipient, none beside the one who confirmed
    assert page.count(f'action="/notices/{notice.pk}/recall/"') == 3
    assert hidden(notice, "gyg_2") in page
    assert hidden(notice, "gyg_1") not in page
    assert "gyg_2" not in page  # names, not usernames
    recipient = signed_in(bureau.person("gyg_2"))
    assert notice.title in recipient.get("/inbox/").content.decode()

    answer = clerk.post(url(notice), of(notice, "gyg_2", "误发，应由综合股阅知"))
    assert answer.status_code == 302
    assert answer["Location"] == f"/notices/{notice.pk}/#roster"
    after = clerk.get(answer["Location"]).content.decode()
    assert "已撤回" in after
    assert hidden(notice, "gyg_2") not in after  # no longer an open recipient
    assert ack_of(notice, "gyg_2").state == AckState.CANCELLED
    event = AuditEvent.objects.get(notice=notice, action=AuditAction.ACK_RECALLED)
    assert event.actor == bureau.clerk
    assert event.data["person"] == "gyg_2"
    assert event.data["reason"] == "误发，应由综合股阅知"
    assert "原因：误发，应由综合股阅知" in after  # the history says why
    assert notice.title not in recipient.get("/inbox/").content.decode()


def test_with_htmx_the_roster_comes_back_in_place(bureau: Bureau, notice: Any) -> None:
    answer = signed_in(bureau.clerk).post(
        url(notice), of(notice, "gyg_3", "重复"), HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="roster"' in html
    assert re.search(r'role="status">已撤回 .+ 的阅知', html)
    assert ack_of(notice, "gyg_3").state == AckState.CANCELLED
    english = signed_in(bureau.clerk)
    english.cookies["django_language"] = "en"
    answer = english.post(url(notice), of(notice, "gyg_2", "duplicate"), HTTP_HX_REQUEST="true")
    assert "is no longer in their inbox" in answer.content.decode()


def test_a_missing_reason_is_a_400_at_the_field_and_nothing_changes(
    bureau: Bureau, notice: Any
) -> None:
    clerk = signed_in(bureau.clerk)
    answer = clerk.post(url(notice), of(notice, "gyg_2", "  "))
    assert answer.status_code == 400
    html = answer.content.decode()
    ack = ack_of(notice, "gyg_2")
    assert f'id="recall-error-{ack.pk}"' in html
    assert "撤回原因" in html.split(f'id="recall-error-{ack.pk}"')[1].split("</p>")[0]
    assert 'aria-invalid="true"' in html
    assert ack.state in (AckState.PENDING, AckState.READ)
    assert not AuditEvent.objects.filter(action=AuditAction.ACK_RECALLED).exists()
    # in English, the same place
    clerk.cookies["django_language"] = "en"
    answer = clerk.post(url(notice), of(notice, "gyg_2", ""), HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    english = answer.content.decode().split(f'id="recall-error-{ack.pk}"')[1].split("</p>")[0]
    assert "reason" in english.lower()


def test_a_recipient_who_already_confirmed_is_a_409_in_words(bureau: Bureau, notice: Any) -> None:
    answer = signed_in(bureau.clerk).post(url(notice), of(notice, "gyg_1", "误发"))
    assert answer.status_code == 409
    html = answer.content.decode()
    assert 'role="alert">该接收人的阅知状态为“已确认”，不能撤回' in html
    assert ack_of(notice, "gyg_1").state == AckState.CONFIRMED


def test_only_those_who_may_withdraw(bureau: Bureau, notice: Any) -> None:
    before = list(Acknowledgement.objects.filter(notice=notice).values_list("state", flat=True))
    data = of(notice, "gyg_2", "误发")
    # they see the notice but may not withdraw: 403, and no disclosure on their page
    for who in ("archivist", "gyg_head", "gyg_3"):
        client = signed_in(bureau.person(who))
        assert client.post(url(notice), data).status_code == 403, who
        assert "/recall/" not in client.get(f"/notices/{notice.pk}/").content.decode()
    # they do not see it: 404
    stranger = PersonFactory(username="stranger", organisation=bureau.org)
    other_org = PersonFactory(username="elsewhere", organisation=OrganisationFactory())
    for person in (stranger, other_org):
        assert signed_in(person).post(url(notice), data).status_code == 404
    assert signed_in(bureau.clerk).get(url(notice)).status_code == 405
    after = list(Acknowledgement.objects.filter(notice=notice).values_list("state", flat=True))
    assert after == before


def test_the_form_needs_the_csrf_token(bureau: Bureau, notice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau.clerk)
    assert client.post(url(notice), of(notice, "gyg_2", "误发")).status_code == 403
    assert ack_of(notice, "gyg_2").state != AckState.CANCELLED
