"""Builders of the reminder tests: the clock in Asia/Shanghai, notices circulated at a chosen
moment, confirmations and races. Import them from here (never from a conftest);
``tests/reminders/conftest.py`` keeps the fixtures."""

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Notice, Person
from workflows.services.acknowledging import confirm_acknowledgement, open_acknowledgement
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
