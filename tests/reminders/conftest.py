"""Reminder tests: the clock in Asia/Shanghai, notices circulated at a chosen moment, and the
outbox hand-over to delivery recorded instead of queued."""

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from circulation.records.models import Acknowledgement, Notice, Person
from workflows.services.acknowledging import confirm_acknowledgement, open_acknowledgement
from workflows.services.context import Actor
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

SH = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    """A moment in Asia/Shanghai, e.g. ``at(2022, 10, 12, 9)``."""
    return datetime(*parts, tzinfo=SH)  # type: ignore[misc]


def circulate(
    clerk: Person,
    serial: int,
    *,
    units: Sequence[str] = (),
    people: Sequence[str] = (),
    days: int | None = 5,
    due_at: datetime | None = None,
    urgency: str = "normal",
) -> Notice:
    """Register 舞工信〔2022〕<serial>号 and forward it now (use time-machine to choose now)."""
    notice = register_notice(
        Actor(clerk),
        NoticeInput(
            doc_number=f"舞工信〔2022〕{serial}号",
            title=f"关于做好第{serial}项工作的通知",
            issuer="舞阳县工业和信息化局",
            secrecy="internal",
            urgency=urgency,
        ),
    ).notice
    forward_notice(
        Actor(clerk),
        notice.pk,
        ForwardRequest(
            unit_codes=units,
            usernames=people,
            due_working_days=None if due_at else days,
            due_at=due_at,
        ),
    )
    notice.refresh_from_db()
    return notice


def confirm(notice_id: int, username: str) -> None:
    """The recipient opens the notice and confirms it (阅知确认)."""
    ack = Acknowledgement.objects.get(notice_id=notice_id, person__username=username)
    open_acknowledgement(Actor(ack.person), ack.pk)
    confirm_acknowledgement(Actor(ack.person), ack.pk, comment="已学习")


def race(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together, each with its own database connection;
    returns their results (or the exception each raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except Exception as exc:  # returned to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture(autouse=True)
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Message ids handed to delivery (``schedule_delivery``), one list per call."""
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "workflows.delivery.outbox.schedule_delivery", lambda ids: calls.append(list(ids))
    )
    return calls


@pytest.fixture(autouse=True)
def _reminders_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count what the reminder sweep writes: the 传阅通知/退回通知 a forward or a
    return writes (``tests/reminders/test_forward_notifications.py``, which asks for
    ``announcements``) are left out of them."""
    if "announcements" not in request.fixturenames:
        monkeypatch.setattr("workflows.services.forwarding.announce_forward", lambda *a: 0)
        monkeypatch.setattr("workflows.services.acknowledging.announce_return", lambda *a: 0)


@pytest.fixture
def announcements() -> None:
    """Keep the forward and return notifications (see ``_reminders_only``)."""
