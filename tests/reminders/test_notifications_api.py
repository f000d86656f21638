"""站内通知 API: my notifications with the unread count; marking one read; nobody else's."""

from typing import Any

import pytest
import time_machine

from tests.builders import Bureau
from tests.reminders.builders import at, circulate
from workflows.models import Notification
from workflows.services.sweep import run_reminder_sweep

pytestmark = pytest.mark.django_db


def two_digests(bureau: Bureau) -> list[int]:
    """gyg_1 gets a due-soon and a due-today notification; returns the notice ids."""
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 100, people=["gyg_1", "gyg_2"], days=1)
        traveller.move_to(at(2022, 10, 10, 10))
        run_reminder_sweep(as_of=at(2022, 10, 10, 10))
        traveller.move_to(at(2022, 10, 11, 9))
        run_reminder_sweep(as_of=at(2022, 10, 11, 9))
    return [notice.pk]


def test_list_read_and_unread_count(bureau: Bureau, api: Any) -> None:
    (notice_id,) = two_digests(bureau)
    client = api(bureau.person("gyg_1"))

    listing = client.get("/api/v1/notifications/")
    assert listing.status_code == 200
    body = listing.json()
    assert (body["count"], body["unread_count"]) == (2, 2)
    newest, older = body["results"]
    assert "今日到期 due today" in newest["body"]
    assert "即将到期 due soon" in older["body"]
    assert newest["title"] == "【催办】您有 1 件收文待阅知确认 / 1 notice awaits your confirmation"
    assert (newest["link"], newest["notice"], newest["unread"]) == (
        f"/notices/{notice_id}/",
        notice_id,
        True,
    )

    read = client.post(f"/api/v1/notifications/{older['id']}/read/")
    assert read.status_code == 200
    assert read.json()["unread"] is False
    assert read.json()["read_at"]
    again = client.post(f"/api/v1/notifications/{older['id']}/read/")
    assert again.status_code == 200
    assert again.json()["read_at"] == read.json()["read_at"]  # idempotent

    after = client.get("/api/v1/notifications/").json()
    assert (after["count"], after["unread_count"]) == (2, 1)
    unread_only = client.get("/api/v1/notifications/?unread=true").json()
    assert [n["id"] for n in unread_only["results"]] == [newest["id"]]
    assert unread_only["unread_count"] == 1


def test_someone_elses_notification_is_not_found(bureau: Bureau, api: Any) -> None:
    two_digests(bureau)
    theirs = Notification.objects.filter(person__username="gyg_2").first()
    assert theirs is not None
    answer = api(bureau.person("gyg_1")).post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    listing = api(bureau.clerk).get("/api/v1/notifications/").json()
    assert (listing["count"], listing["unread_count"]) == (0, 0)
    assert api(None).get("/api/v1/notifications/").status_code in (401, 403)
