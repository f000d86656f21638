"""The 代理设置 page: appoint, see, cancel; errors next to the field in the page's language
with the service's status, nothing written."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.builders import Bureau
from tests.delegation.builders import appoint
from tests.web.test_inbox import signed_in
from workflows.models import Delegation

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


def local(days: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=days)).strftime(LOCAL)


def test_appoint_see_and_cancel_through_the_page(bureau: Bureau) -> None:
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    client = signed_in(principal)
    page = client.get("/delegation/")
    assert page.status_code == 200
    assert "您还没有设置代理人" in page.content.decode()
    assert "gyg_1" not in [value for value, _ in page.context["form"].fields["delegate"].choices]

    response = client.post(
        "/delegation/", {"delegate": "gyg_2", "ends_at": local(2), "reason": "外出学习"}
    )
    assert response.status_code == 303
    delegation = Delegation.objects.get()
    assert (delegation.principal, delegation.delegate, delegation.reason) == (
        principal,
        delegate,
        "外出学习",
    )
    html = client.get("/delegation/").content.decode()
    assert "代理已设置" in html
    assert delegate.name in html
    assert "生效中" in html
    # the delegate sees whom they act for, with the way to the inbox
    theirs = signed_in(delegate).get("/delegation/").content.decode()
    assert "我代理的人" in theirs
    assert principal.name in theirs

    # someone else cannot cancel it; the principal can
    other = signed_in(bureau.person("gyg_3"))
    assert other.post(f"/delegation/{delegation.pk}/cancel/").status_code == 404
    assert client.post(f"/delegation/{delegation.pk}/cancel/").status_code == 303
    delegation.refresh_from_db()
    assert delegation.cancelled_at is not None
    assert "已取消" in client.get("/delegation/").content.decode()


@pytest.mark.parametrize(
    ("payload", "field", "text", "status"),
    [
        ({"delegate": "", "ends_at": "+1"}, "delegate", "请选择代理人", 400),
        ({"delegate": "gyg_2", "ends_at": ""}, "ends_at", "请填写结束时间", 400),
        ({"delegate": "gyg_2", "ends_at": "明天"}, "ends_at", "结束时间格式不正确", 400),
        (
            {"delegate": "gyg_2", "starts_at": "+2", "ends_at": "+1"},
            "ends_at",
            "代理结束时间须晚于开始时间",
            400,
        ),
        ({"delegate": "gyg_2", "ends_at": "+1", "reason": "出差\u0007"}, "reason", "控制字符", 400),
    ],
)
def test_bad_input_is_explained_next_to_the_field(
    bureau: Bureau, payload: dict[str, str], field: str, text: str, status: int
) -> None:
    data = {
        key: local(int(value)) if key.endswith("_at") and value[:1] in ("+", "-") else value
        for key, value in payload.items()
    }
    response = signed_in(bureau.person("gyg_1")).post("/delegation/", data)
    assert response.status_code == status
    errors = response.context["form"].errors
    assert any(text in message for message in errors[field]), errors
    assert not Delegation.objects.exists()


def test_an_overlap_is_a_409_above_the_form_and_english_in_english(bureau: Bureau) -> None:
    principal = bureau.person("gyg_1")
    appoint(principal, "gyg_2")
    client = signed_in(principal)
    response = client.post("/delegation/", {"delegate": "gyg_3", "ends_at": local(1)})
    assert response.status_code == 409
    assert "该时段已设置了代理" in response.content.decode()
    client.cookies["django_language"] = "en"
    english = client.post(
        "/delegation/", {"delegate": "gyg_3", "ends_at": local(1)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 409
    assert "A delegation already covers part of this period" in english.content.decode()
    assert Delegation.objects.count() == 1


def test_the_preferences_page_links_to_it(bureau: Bureau, client: Any) -> None:
    html = signed_in(bureau.person("gyg_1")).get("/notifications/preferences/").content.decode()
    assert 'href="/delegation/"' in html


def test_the_page_costs_the_same_with_one_or_many_delegations(bureau: Bureau) -> None:
    """Session, user, badge, permissions (2), the delegations with both people, the people to
    choose from: the same statements for 1 or 12 delegations given and taken."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    principal = bureau.person("gyg_1")
    start = timezone.now() + timedelta(hours=1)
    appoint(principal, "gyg_2", starts_at=start, ends_at=start + timedelta(days=1))
    client = signed_in(principal)
    client.get("/delegation/")
    with CaptureQueriesContext(connection) as one:
        client.get("/delegation/")
    for n in range(1, 12):
        begins = start + timedelta(days=n)
        appoint(principal, "gyg_2", starts_at=begins, ends_at=begins + timedelta(hours=1))
    for n in (1, 2, 3):  # three colleagues name gyg_1 as their delegate
        appoint(bureau.person(f"bgs_{n}"), principal, starts_at=start)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/delegation/")
    assert len(page.context["given"]) == 12
    assert len(page.context["taken"]) == 3
    assert len(many) == len(one)
