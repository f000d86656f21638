"""A real Celery worker on the real Redis: delivery after commit, a broker that is down, and two
dispatchers at once."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction

from circulation.celery import app as celery_app
from tests.builders import Bureau
from tests.delivery.builders import REDIS_URL, MakeMessage, running_worker
from tests.delivery.servers import MailCollector, use_broker, wait_until
from tests.helpers import circulating_notice, opened_ack
from workflows.delivery.dispatcher import Outcome, deliver
from workflows.delivery.email import message_id_header
from workflows.delivery.outbox import schedule_delivery
from workflows.delivery.requeue import dispatch
from workflows.machines import AckState
from workflows.models import DeliveryAttempt, Message, MessageStatus, SweepRun
from workflows.tasks import dispatch_outbox

pytestmark = pytest.mark.django_db(transaction=True)

DOWN_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: "Redis is down"


def _all_sent(ids: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        return Message.objects.filter(pk__in=ids, status=MessageStatus.SENT).count() == len(ids)

    return check


def _in_threads(target: Callable[[], Any], count: int) -> list[Any]:
    """Run ``target`` in ``count`` threads released together; return their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(target())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def test_worker_delivers_messages_after_the_transaction_commits(
    smtp: MailCollector, worker: Any, make_message: MakeMessage
) -> None:
    with transaction.atomic():
        messages = [make_message() for _ in range(3)]
        ids = [m.pk for m in messages]
        schedule_delivery(ids)
        # Nothing leaves before the commit.
        assert Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).count() == 3

    wait_until(_all_sent(ids))

    received = Counter(smtp.message_ids())
    assert received == Counter(message_id_header(m) for m in messages)
    assert DeliveryAttempt.objects.filter(message_id__in=ids, ok=True).count() == 3


def test_nothing_is_queued_when_the_transaction_rolls_back(
    smtp: MailCollector, worker: Any, make_message: MakeMessage
) -> None:
    def write_then_fail() -> None:
        with transaction.atomic():
            schedule_delivery([make_message().pk])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        write_then_fail()
    committed = make_message()
    schedule_delivery([committed.pk])  # outside a transaction: queued at once

    wait_until(_all_sent([committed.pk]))
    assert smtp.message_ids() == [message_id_header(committed)]


def test_broker_down_confirming_still_works_and_messages_go_out_when_it_is_back(
    smtp: MailCollector,
    redis_broker: tuple[str, str],
    make_message: MakeMessage,
    bureau: Bureau,
    api: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, queue = redis_broker
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    use_broker(celery_app, DOWN_BROKER, queue)

    with caplog.at_level(logging.ERROR, logger="workflows.delivery.outbox"):
        with transaction.atomic():
            ids = [make_message().pk for _ in range(2)]
            schedule_delivery(ids)
        answer = api(ack.person).post(
            f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"comment": "已学习"}, format="json"
        )

    assert answer.status_code == 200, answer.content
    ack.refresh_from_db()
    assert ack.state == AckState.CONFIRMED
    assert "broker unavailable" in caplog.text
    # Still due, and not marked as handed to the broker: the dispatcher takes them at once.
    assert list(Message.objects.filter(pk__in=ids).values_list("status", "lease_until")) == [
        (MessageStatus.PENDING, None),
        (MessageStatus.PENDING, None),
    ]
    report = dispatch()
    assert report.broker_error
    assert SweepRun.objects.filter(kind="dispatch").latest("started_at").error

    use_broker(celery_app, REDIS_URL, queue, {"visibility_timeout": 3600})
    with running_worker():
        dispatch_outbox()  # what beat runs every minute
        wait_until(_all_sent(ids))

    assert sorted(smtp.message_ids()) == sorted(
        message_id_header(m) for m in Message.objects.filter(pk__in=ids)
    )


def test_two_dispatchers_at_once_queue_each_message_once_and_send_it_once(
    smtp: MailCollector, worker: Any, make_message: MakeMessage
) -> None:
    messages = [make_message() for _ in range(20)]  # pending, never queued
    ids = [m.pk for m in messages]

    reports = _in_threads(dispatch, 2)

    assert sum(report.queued for report in reports) == 20
    wait_until(_all_sent(ids))
    counts = Counter(smtp.message_ids())
    assert set(counts) == {message_id_header(m) for m in messages}
    assert set(counts.values()) == {1}
    assert DeliveryAttempt.objects.filter(message_id__in=ids).count() == 20
    assert SweepRun.objects.filter(kind="dispatch").count() == 2


def test_two_workers_delivering_the_same_messages_send_each_once(
    smtp: MailCollector, make_message: MakeMessage
) -> None:
    messages = [make_message() for _ in range(15)]
    ids = [m.pk for m in messages]

    def deliver_all() -> list[Outcome]:
        return [deliver(pk) for pk in ids]

    outcomes = _in_threads(deliver_all, 2)

    flat = [outcome for run in outcomes for outcome in run]
    assert flat.count(Outcome.SENT) == 15
    assert flat.count(Outcome.SKIPPED) == 15
    counts = Counter(smtp.message_ids())
    assert len(counts) == 15
    assert set(counts.values()) == {1}
