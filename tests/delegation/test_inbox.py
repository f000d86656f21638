"""The 阅知 path with a delegate: the principal's items in the delegate's inbox marked "代 <name>",
answered on their behalf through the pages and the API (who acted kept, the audit naming both),
and nothing for anyone else or outside the period."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Person
from tests.builders import Bureau
from tests.delegation.builders import appoint
from tests.factories import PASSWORD
from tests.helpers import ack_of
from tests.web.test_inbox import bulk_inbox, notice_to, signed_in
from workflows.machines import AckState
from workflows.models import Notification, NotificationKind
from workflows.services.delegation import cancel_delegation

pytestmark = pytest.mark.django_db


@pytest.fixture
def away(bureau: Bureau) -> tuple[Person, Person]:
    """gyg_1 (张…) is away; gyg_2 acts for them from now for a day."""
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    appoint(principal, delegate, reason="出差")
    return principal, delegate


def test_the_delegate_sees_the_principals_items_marked(
    bureau: Bureau, away: tuple[Person, Person]
) -> None:
    principal, delegate = away
    first = notice_to(bureau, 1)  # to 工业股: both have one
    page = signed_in(delegate).get("/inbox/")
    tabs = {tab["state"]: tab["count"] for tab in page.context["tabs"]}
    assert tabs["pending"] == 2  # their own and the principal's
    marked = [row for row in page.context["rows"] if row.on_behalf]
    assert [row.ack.person_id for row in marked] == [principal.pk]
    html = page.content.decode()
    assert f"代 {principal.name}" in html
    assert html.count("第1号通知") == 2
    # the principal's own inbox is unchanged, and says nothing of a delegate
    own = signed_in(principal).get("/inbox/")
    assert {tab["state"]: tab["count"] for tab in own.context["tabs"]}["pending"] == 1
    assert "代 " not in own.content.decode().split("<main", 1)[1]
    # home page: the next deadlines include it, marked
    home = signed_in(delegate).get("/").content.decode()
    assert f"代 {principal.name}" in home
    assert ack_of(first, "gyg_1").state == AckState.PENDING


def test_the_delegate_reads_and_confirms_on_behalf_and_the_audit_says_so(
    bureau: Bureau, away: tuple[Person, Person]
) -> None:
    principal, delegate = away
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    client = signed_in(delegate)
    page = client.get(f"/inbox/{ack.pk}/")
    assert page.status_code == 200
    assert f"代 {principal.name} 阅办此件" in page.content.decode()

    response = client.post(f"/inbox/{ack.pk}/confirm/", {"comment": "已代为学习传达"})
    assert response.status_code == 303
    ack.refresh_from_db()
    assert ack.state == AckState.CONFIRMED
    assert ack.person_id == principal.pk
    assert ack.acted_by_id == delegate.pk
    assert ack.comment == "已代为学习传达"
    events = AuditEvent.objects.filter(object_id=str(ack.pk), object_type="records.acknowledgement")
    by_action = {e.action: e for e in events}
    for action in ("ack.read", "ack.confirmed"):
        assert by_action[action].actor_username == "gyg_2"
        assert by_action[action].data["on_behalf_of"] == "gyg_1"
    shown = client.get(f"/inbox/{ack.pk}/").content.decode()
    assert f"{delegate.name} 代 {principal.name} 于" in shown
    # the principal sees who confirmed it for them, in the list and on the page
    confirmed_tab = signed_in(principal).get("/inbox/?state=confirmed").content.decode()
    assert f"由 {delegate.name} 代为办理" in confirmed_tab
    assert f"{delegate.name} 代 {principal.name} 于" in (
        signed_in(principal).get(f"/inbox/{ack.pk}/").content.decode()
    )


def test_the_delegate_returns_on_behalf_and_the_clerk_is_told(
    bureau: Bureau, away: tuple[Person, Person]
) -> None:
    _principal, delegate = away
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    response = signed_in(delegate).post(f"/inbox/{ack.pk}/return/", {"reason": "误发，非本股业务"})
    assert response.status_code == 303
    ack.refresh_from_db()
    assert (ack.state, ack.acted_by_id) == (AckState.RETURNED, delegate.pk)
    event = AuditEvent.objects.get(action="ack.returned", object_id=str(ack.pk))
    assert event.data == {
        "reason": "误发，非本股业务",
        "on_behalf_of": "gyg_1",
        "on_behalf_of_name": bureau.person("gyg_1").name,
        "delegation": event.data["delegation"],
    }
    assert Notification.objects.filter(person=bureau.clerk, kind=NotificationKind.RETURNED).exists()


def test_the_principal_answering_themselves_is_not_on_behalf(
    bureau: Bureau, away: tuple[Person, Person]
) -> None:
    principal, _delegate = away
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    client = signed_in(principal)
    client.get(f"/inbox/{ack.pk}/")
    client.post(f"/inbox/{ack.pk}/confirm/", {"comment": ""})
    ack.refresh_from_db()
    assert (ack.state, ack.acted_by_id) == (AckState.CONFIRMED, None)
    assert "on_behalf_of" not in AuditEvent.objects.get(action="ack.confirmed").data


@pytest.mark.parametrize("when", ["other_person", "before", "after_cancel", "after_end"])
def test_outside_a_delegation_it_is_404_as_today(bureau: Bureau, when: str) -> None:
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    now = timezone.now()
    if when == "other_person":
        appoint(principal, delegate)
        delegate = bureau.person("gyg_3")
    elif when == "before":
        appoint(principal, delegate, starts_at=now + timedelta(hours=2))
    elif when == "after_cancel":
        cancel_delegation(Actor(principal), appoint(principal, delegate).pk)
    else:
        delegation = appoint(principal, delegate)
        type(delegation).objects.filter(pk=delegation.pk).update(
            starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
        )
    client = signed_in(delegate)
    assert client.get(f"/inbox/{ack.pk}/").status_code == 404
    assert client.post(f"/inbox/{ack.pk}/confirm/", {"comment": ""}).status_code == 404
    assert client.post(f"/inbox/{ack.pk}/return/", {"reason": "误发"}).status_code == 404
    page = client.get("/inbox/")
    assert not [row for row in page.context["rows"] if row.on_behalf]
    ack.refresh_from_db()
    assert (ack.state, ack.acted_by_id) == (AckState.PENDING, None)


def test_the_api_lists_and_answers_on_behalf(
    bureau: Bureau, away: tuple[Person, Person], api: Any
) -> None:
    principal, delegate = away
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    client = api(delegate)
    listed = client.get("/api/v1/acknowledgements/?state=pending").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    theirs = [row for row in rows if row["recipient"] == "gyg_1"]
    assert len(theirs) == 1
    assert theirs[0]["recipient_name"] == principal.name
    assert theirs[0]["acted_by"] is None
    assert client.post(f"/api/v1/acknowledgements/{ack.pk}/read/").status_code == 200
    confirmed = client.post(
        f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"comment": "代学"}, format="json"
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["acted_by"] == "gyg_2"
    assert confirmed.json()["recipient"] == "gyg_1"
    # someone who is not the delegate: 404, as for anyone's item
    other = api(bureau.person("gyg_3"))
    assert (
        other.post(f"/api/v1/acknowledgements/{ack.pk}/return/", {"reason": "x"}).status_code == 404
    )
    assert other.get(f"/api/v1/acknowledgements/{ack.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [10, 200])
def test_inbox_queries_with_delegations_do_not_grow(
    bureau: Bureau, rows: int, django_assert_num_queries: Any
) -> None:
    """The delegate's inbox costs what anyone's does (tests/web/test_inbox.py), with items of
    two principals beside their own, whatever their number."""
    delegate = bureau.person("gyg_3")
    appoint(bureau.person("gyg_1"), delegate)
    appoint(bureau.person("gyg_2"), delegate)
    bulk_inbox(bureau, bureau.person("gyg_1"), rows)
    client = signed_in(delegate)
    client.get("/")
    # session, user, unread badge, permissions (2), tab counts, the page of rows
    with django_assert_num_queries(5):
        page = client.get("/inbox/")
    assert len(page.context["rows"]) == min(rows, 20)
    assert all(row.on_behalf for row in page.context["rows"])
    with django_assert_num_queries(5):
        client.get("/inbox/?state=pending&page=2")


def test_the_delegate_reads_the_principals_attachment_while_in_force(
    bureau: Bureau, media: Any
) -> None:
    """The notice went to 县中小企业服务中心 only: its attachment is the delegate's to read only
    through the delegation (the reading page shows it in an iframe)."""
    principal, delegate = bureau.person("zxfw_1"), bureau.person("gyg_2")
    notice = notice_to(bureau, 7, units=("ZXFW",), pdf=True)
    attachment = notice.attachments.get()
    url = f"/notices/{notice.pk}/attachments/{attachment.pk}/"
    client = signed_in(delegate)
    assert client.get(url).status_code == 404
    delegation = appoint(principal, delegate)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert signed_in(bureau.person("gyg_3")).get(url).status_code == 404
    cancel_delegation(Actor(principal), delegation.pk)
    assert client.get(url).status_code == 404


def test_password_re_entry_is_the_delegates_own(
    bureau: Bureau, away: tuple[Person, Person]
) -> None:
    principal, delegate = away
    bureau.org.require_password_on_confirm = True
    bureau.org.save()
    principal.set_password("principal-only-9")
    principal.save()
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    client = signed_in(delegate)
    client.get(f"/inbox/{ack.pk}/")
    refused = client.post(f"/inbox/{ack.pk}/confirm/", {"password": "principal-only-9"})
    assert refused.status_code == 400
    ack.refresh_from_db()
    assert ack.state == AckState.READ
    response = client.post(f"/inbox/{ack.pk}/confirm/", {"password": PASSWORD})
    assert response.status_code == 303
    ack.refresh_from_db()
    assert (ack.state, ack.confirm_method, ack.acted_by_id) == (
        AckState.CONFIRMED,
        "password",
        delegate.pk,
    )


def test_the_notice_history_says_who_acted_for_whom(
    bureau: Bureau, away: tuple[Person, Person]
) -> None:
    principal, delegate = away
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(delegate)
    client.get(f"/inbox/{ack.pk}/")
    client.post(f"/inbox/{ack.pk}/confirm/", {"comment": ""})
    page = signed_in(bureau.clerk).get(f"/notices/{notice.pk}/")
    actors = [entry.actor for entry in page.context["timeline"]]
    assert actors.count(f"{delegate.name} 代 {principal.name}") == 2  # 已阅 and 确认阅知
    assert f"{delegate.name} 代 {principal.name}" in page.content.decode()
