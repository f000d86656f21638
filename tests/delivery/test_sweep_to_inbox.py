"""End to end: the reminder sweep writes the outbox, a real worker on Redis sends the emails to a
real SMTP server, and a second sweep sends nothing more."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from circulation.records.actors import Actor
from tests.builders import SAMPLE, Bureau
from tests.delivery.servers import MailCollector, wait_until
from tests.helpers import registered_notice
from workflows.delivery.email import message_id_header
from workflows.models import Message, MessageStatus
from workflows.services.forwarding import ForwardRequest, forward_notice

SH = ZoneInfo("Asia/Shanghai")


def _everything_sent() -> bool:
    return not Message.objects.exclude(status=MessageStatus.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_overdue_reminders_reach_the_inbox_once(
    smtp: MailCollector, worker: Any, bureau: Bureau
) -> None:
    from workflows.services.sweep import run_reminder_sweep

    # Forwarded on Thu 2022-09-29 with 5 working days: due Tue 2022-10-11 17:30 (National Day).
    with time_machine.travel(datetime(2022, 9, 29, 9, 0, tzinfo=SH), tick=False):
        notice = registered_notice(bureau.clerk)
        forward_notice(
            Actor(bureau.clerk),
            notice.pk,
            ForwardRequest(unit_codes=("GYG",), due_working_days=5),
        )

    first = run_reminder_sweep(as_of=datetime(2022, 10, 12, 10, 0, tzinfo=SH))
    assert first.messages > 0
    wait_until(_everything_sent)

    messages = list(Message.objects.select_related("digest__recipient"))
    assert len(messages) == first.messages
    assert Counter(smtp.message_ids()) == Counter(message_id_header(m) for m in messages)
    mail_to = {str(mail["To"]): mail for mail in smtp.messages}
    staff = bureau.person("gyg_1")
    body = mail_to[staff.email].get_content()
    assert SAMPLE["doc_number"] in body
    assert SAMPLE["title"] in body
    assert "2022-10-11 17:30" in body
    assert f"/notices/{notice.pk}/" in body

    again = run_reminder_sweep(as_of=datetime(2022, 10, 12, 10, 5, tzinfo=SH))
    assert again.messages == 0
    assert len(smtp.messages) == len(messages)
