"""The 代理 admin: a read-only list (principal, delegate, period, reason, status) with filters and
search, a constant number of queries, and 取消 as an action that goes through the service (audited;
an ended delegation refused in words, nothing changed)."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circulation.records.models import AuditAction, AuditEvent, Person
from tests.delegation.builders import appoint
from workflows.models import Delegation

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:workflows_delegation_changelist"


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def admin_user() -> Person:
    call_command("seed_demo", password="demo-pass-2022", stdout=StringIO())
    return Person.objects.get(username="admin")


def login(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


def person(username: str) -> Person:
    return Person.objects.get(username=username)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_list_shows_the_delegations_in_chinese_filters_and_search(admin_user: Person) -> None:
    first = appoint(person("bgs_1"), person("bgs_2"), reason="外出学习")
    later = appoint(
        person("bgs_3"), "bgs_head", starts_at=timezone.now() + timedelta(days=3), reason="休假"
    )
    client = login(admin_user)
    page = client.get(reverse(CHANGELIST)).content.decode()
    for heading in ("被代理人", "代理人", "代理期间", "事由", "状态", "取消时间"):
        assert heading in page
    assert "外出学习" in page
    assert "休假" in page
    assert "生效中" in page
    assert "未开始" in page
    assert f"{timezone.localtime(first.starts_at):%Y-%m-%d %H:%M} –" in page

    upcoming = client.get(reverse(CHANGELIST), {"status": "upcoming"}).context["cl"].result_list
    assert list(upcoming) == [later]
    found = client.get(reverse(CHANGELIST), {"q": person("bgs_2").display_name})
    assert list(found.context["cl"].result_list) == [first]


def test_read_only_no_add_no_edit_no_delete(admin_user: Person) -> None:
    delegation = appoint(person("bgs_1"), person("bgs_2"))
    client = login(admin_user)
    assert client.get(reverse("admin:workflows_delegation_add")).status_code == 403
    change = reverse("admin:workflows_delegation_change", args=[delegation.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert client.post(change, {"reason": "改了"}).status_code in (302, 403)
    delegation.refresh_from_db()
    assert delegation.reason == ""
    delete = reverse("admin:workflows_delegation_delete", args=[delegation.pk])
    assert client.get(delete).status_code == 403


def test_cancel_action_goes_through_the_service(admin_user: Person) -> None:
    live = appoint(person("bgs_1"), person("bgs_2"))
    already = appoint(person("bgs_3"), "bgs_head")
    Delegation.objects.filter(pk=already.pk).update(cancelled_at=timezone.now())
    ended = appoint(person("gyg_1"), "gyg_2")
    Delegation.objects.filter(pk=ended.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=1)
    )
    client = login(admin_user)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "cancel_selected", "_selected_action": [live.pk, already.pk, ended.pk]},
        follow=True,
    )
    assert response.status_code == 200
    said = messages_of(response)
    assert "已取消 1 项代理 / 1 delegation(s) cancelled" in said
    assert "1 项此前已取消，未变 / 1 already cancelled, unchanged" in said
    assert f"#{ended.pk}: 该代理已结束，无需取消 / This delegation has already ended" in said
    live.refresh_from_db()
    ended.refresh_from_db()
    assert live.cancelled_at is not None
    assert ended.cancelled_at is None
    event = AuditEvent.objects.filter(action=AuditAction.DELEGATION_CANCELLED).get()
    assert event.actor == admin_user
    assert event.data["principal"] == "bgs_1"


def test_changelist_queries_do_not_grow_with_rows(admin_user: Person) -> None:
    client = login(admin_user)
    appoint(person("bgs_1"), person("bgs_2"))
    client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    for index, (principal, delegate) in enumerate(
        [("bgs_3", "bgs_head"), ("gyg_1", "gyg_2"), ("gyg_3", "gyg_head")]
    ):
        appoint(person(principal), delegate, reason=f"第{index}次")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    assert len(many) == len(few)
