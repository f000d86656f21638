"""Email through Django's SMTP backend to a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.builders import Bureau
from tests.delivery.builders import DEADLINE, LINK, NOTICE_NO, NOTICE_TITLE, MakeMessage
from tests.delivery.servers import MailCollector
from tests.helpers import circulating_notice, opened_ack
from workflows.delivery.dispatcher import Outcome, backoff, deliver
from workflows.delivery.email import build_email, message_id_header
from workflows.machines import AckState
from workflows.models import DeliveryAttempt, MessageStatus

pytestmark = pytest.mark.django_db


def test_email_arrives_with_the_notice_and_a_stable_message_id(
    smtp: MailCollector, make_message: MakeMessage
) -> None:
    message = make_message()

    assert deliver(message.pk) == Outcome.SENT

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    [received] = smtp.messages
    assert received["To"] == message.address
    assert received["From"] == "circulation@wuyang.example.cn"
    assert str(received["Subject"]).strip() == message.subject  # Django folds long subjects
    assert received["Auto-Submitted"] == "auto-generated"
    body = received.get_content()
    for text in (NOTICE_NO, NOTICE_TITLE, DEADLINE, LINK):
        assert text in body
    # The Message-ID comes from the outbox row: the same on every attempt.
    expected = message_id_header(message)
    assert received["Message-ID"] == expected
    assert expected.startswith(f"<circulation.{message.pk}.")
    assert expected.endswith("@wuyang.example.cn>")
    assert build_email(message).message()["Message-ID"] == expected
    [attempt] = DeliveryAttempt.objects.filter(message=message)
    assert attempt.ok
    assert attempt.error == ""


def test_a_sent_message_is_not_sent_again(smtp: MailCollector, make_message: MakeMessage) -> None:
    message = make_message()
    assert deliver(message.pk) == Outcome.SENT
    assert deliver(message.pk) == Outcome.SKIPPED
    assert len(smtp.messages) == 1
    assert DeliveryAttempt.objects.filter(message=message).count() == 1


def test_refusing_smtp_server_records_the_reason_and_retries_later(
    smtp: MailCollector, make_message: MakeMessage
) -> None:
    smtp.refuse = "554 refused"
    message = make_message()
    now = timezone.now()

    assert deliver(message.pk, now=now) == Outcome.RETRY

    message.refresh_from_db()
    assert message.status == MessageStatus.RETRY
    assert message.next_attempt_at == now + timedelta(seconds=60)
    assert "554" in message.last_error
    assert "refused" in message.last_error
    [attempt] = DeliveryAttempt.objects.filter(message=message)
    assert not attempt.ok
    assert "554 refused" in attempt.error
    assert attempt.retry_at == message.next_attempt_at
    assert smtp.messages == []

    # Not before its time …
    assert deliver(message.pk, now=now + timedelta(seconds=30)) == Outcome.SKIPPED
    # … and once the server takes mail again, the retry goes out.
    smtp.refuse = None
    assert deliver(message.pk, now=message.next_attempt_at) == Outcome.SENT
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2
    assert message.last_error == ""
    assert [a.ok for a in DeliveryAttempt.objects.filter(message=message)] == [False, True]
    assert smtp.message_ids() == [message_id_header(message)]


def test_confirming_is_unaffected_by_a_refusing_smtp_server(
    smtp: MailCollector, make_message: MakeMessage, bureau: Bureau, api: Any
) -> None:
    smtp.refuse = "554 refused"
    message = make_message()
    assert deliver(message.pk) == Outcome.RETRY
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")

    answer = api(ack.person).post(
        f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"comment": "已学习"}, format="json"
    )

    assert answer.status_code == 200, answer.content
    ack.refresh_from_db()
    assert ack.state == AckState.CONFIRMED


def test_an_unreachable_smtp_server_is_a_failed_attempt(
    settings: Any, make_message: MakeMessage
) -> None:
    from tests.delivery.servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    message = make_message()

    assert deliver(message.pk) == Outcome.RETRY

    message.refresh_from_db()
    assert "Connection" in message.last_error or "refused" in message.last_error


def test_an_address_that_cannot_work_fails_at_once(
    smtp: MailCollector, make_message: MakeMessage
) -> None:
    message = make_message(address="not-an-address")
    assert deliver(message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "not-an-address" in message.last_error


def test_backoff_doubles_up_to_the_cap(settings: Any) -> None:
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    settings.DELIVERY_RETRY_MAX_SECONDS = 3600
    waits = [backoff(n).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
