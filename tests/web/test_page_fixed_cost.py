"""What every signed-in page pays before its own work: the session, the person read with their
permissions and role flags in one query (circulation/web/auth.py), and the unread badge only when
the page prints it (circulation/web/context.py)."""

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circulation.records.models import Person
from tests.builders import Bureau
from tests.helpers import circulating_notice
from workflows.models import Notification

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "Wj8#kq-Long-Enough-2026"


def signed_in(person: Person, **kwargs: Any) -> Client:
    client = Client()
    client.force_login(person, **kwargs)
    return client


def test_the_nav_follows_the_roles_and_a_group_taken_away_counts_from_the_next_request(
    bureau: Bureau,
) -> None:
    client = signed_in(bureau.clerk)
    page = client.get("/inbox/").content.decode()
    assert "传阅看板" in page
    assert "登记收文" in page
    assert client.get("/board/").status_code == 200
    bureau.clerk.groups.clear()
    assert client.get("/board/").status_code == 403
    assert "传阅看板" not in client.get("/inbox/").content.decode()


def test_one_query_reads_the_person_their_permissions_and_the_nav_flags(bureau: Bureau) -> None:
    head = bureau.units["GYG"].head
    assert head is not None
    client = signed_in(head)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/inbox/").content.decode()
    # Queries that read people (the inbox's rows only filter by a subquery over them: whose
    # items the person handles, with their delegations, workflows/services/delegation.py).
    persons = [
        q for q in captured.captured_queries if q["sql"].startswith('SELECT "records_person"')
    ]
    permissions = [q for q in captured.captured_queries if "auth_permission" in q["sql"]]
    assert len(persons) == 1
    assert all(q in persons for q in permissions)  # inside the person's query, not beside it
    assert "本机构" in page  # the unit head's link, from the flags read with the person


def test_the_badge_counts_unread_when_printed_and_a_fragment_without_it_does_not_ask(
    bureau: Bureau,
) -> None:
    now = timezone.now()
    for n in range(3):
        Notification.objects.create(person=bureau.clerk, title=f"催办 {n}", created_at=now)
    Notification.objects.create(person=bureau.clerk, title="已读", created_at=now, read_at=now)
    Notification.objects.create(person=bureau.person("gyg_1"), title="别人的", created_at=now)
    client = signed_in(bureau.clerk)
    page = client.get("/board/").content.decode()
    assert '<span class="badge" id="unread-badge">3</span>' in page
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    with CaptureQueriesContext(connection) as captured:
        fragment = client.get(reverse("web:board-units", args=[notice.pk]), **HTMX)
    assert fragment.status_code == 200
    assert "工业股" in fragment.content.decode()
    assert "unread-badge" not in fragment.content.decode()
    assert not [q for q in captured.captured_queries if "workflows_notification" in q["sql"]]


def test_a_session_signed_in_with_modelbackend_before_goes_on(bureau: Bureau) -> None:
    client = signed_in(bureau.clerk, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/board/").status_code == 200


def test_a_wrong_password_is_refused_once_and_counted(bureau: Bureau, settings: Any) -> None:
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    client = Client()
    wrong = client.post("/signin/", {"username": "clerk", "password": "nope"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="clerk").failures_since_start == 1
    client.post("/signin/", {"username": "clerk", "password": PASSWORD})
    assert client.session["_auth_user_backend"] == "circulation.web.auth.PersonBackend"
    assert client.get("/board/").status_code == 200
