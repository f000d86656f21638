"""A broker that accepts connections and never answers harms no one.

The stub (:class:`tests.delivery.servers.HungBroker`) is a TCP server on loopback that takes every
connection and never says a word; without timeouts redis-py would wait for it forever. With it
as the broker a manual 催办 and the last confirmation answer at once, ``/healthz`` answers 503
naming the broker, and the dispatcher gives up quickly; the work waits in the database. When the
real Redis is back, the next dispatcher run queues it and a real worker delivers it.

The time bounds are functional (an answer versus a hang), far above what the code needs: about
one second (``CELERY_BROKER_PUBLISH_TIMEOUT``) per request.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import redis

from circulation.ackrecord.models import RecordRendition, RenderRequest
from circulation.ackrecord.tasks import LOST_AT
from circulation.celery import app as celery_app
from circulation.records.models import Acknowledgement, Notice
from tests.builders import Bureau
from tests.delivery.builders import REDIS_URL, running_worker
from tests.delivery.servers import HungBroker, MailCollector, use_broker, wait_until
from tests.helpers import circulating_notice
from tests.reminders.builders import confirm
from workflows.delivery.email import message_id_header
from workflows.delivery.requeue import dispatch
from workflows.machines import AckState, NoticeState
from workflows.models import Message, MessageStatus, SweepRun

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")

DOWN_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.fixture
def hung_broker(redis_broker: tuple[str, str]) -> Iterator[HungBroker]:
    """The Celery app's broker is the stub (``redis_broker`` restores the real one after)."""
    _, queue = redis_broker
    stub = HungBroker()
    use_broker(celery_app, stub.url, queue)
    try:
        yield stub
    finally:
        stub.close()


def _back_to_redis(queue: str) -> None:
    use_broker(celery_app, REDIS_URL, queue, {"visibility_timeout": 3600})


def test_a_hung_broker_harms_no_one_and_the_work_goes_out_when_redis_is_back(
    hung_broker: HungBroker,
    redis_broker: tuple[str, str],
    smtp: MailCollector,
    bureau: Bureau,
    api: Any,
    client: Any,
    media: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    acks = list(Acknowledgement.objects.filter(notice=notice).select_related("person"))
    last = acks[-1]

    clerk = api(bureau.clerk)
    # The process's first API request imports the API (about a second): not what is measured.
    assert clerk.get(f"/api/v1/notices/{notice.pk}/").status_code == 200
    with caplog.at_level(logging.ERROR):
        # 人工催办: the reminders and their outbox messages are written; queueing them fails.
        remind, seconds = timed(lambda: clerk.post(f"/api/v1/notices/{notice.pk}/remind/"))
        assert remind.status_code == 200, remind.content
        assert seconds < 2
        assert remind.json()["messages"] == len(acks) == 4

        for ack in acks[:-1]:
            confirm(notice.pk, ack.person.username)
        api(last.person).post(f"/api/v1/acknowledgements/{last.pk}/read/")
        # The last confirmation completes the notice, whose record render cannot be queued.
        answer, seconds = timed(
            lambda: api(last.person).post(
                f"/api/v1/acknowledgements/{last.pk}/confirm/", {"comment": "已学习"}, format="json"
            )
        )
    assert answer.status_code == 200, answer.content
    assert seconds < 2
    last.refresh_from_db()
    notice.refresh_from_db()
    assert last.state == AckState.CONFIRMED
    assert notice.state == NoticeState.COMPLETED
    assert "broker unavailable: 4 of 4 outbox messages not queued" in caplog.text
    assert f"could not queue the render of notice {notice.pk}" in caplog.text
    assert hung_broker.accepted >= 2  # the stub was asked, and held the line

    health, seconds = timed(lambda: client.get("/healthz"))
    assert health.status_code == 503
    assert seconds < 3
    body = health.json()
    assert (body["database"], body["broker"], body["unavailable"]) == (
        "ok",
        "unavailable",
        ["broker"],
    )

    # The dispatcher (beat, every minute) gives up as quickly and keeps everything due.
    report, seconds = timed(dispatch)
    assert (report.broker_error, report.queued) == (True, 0)
    assert seconds < 3
    assert SweepRun.objects.filter(kind="dispatch").latest("started_at").error
    messages = list(Message.objects.filter(digest__window_key__startswith="manual-"))
    assert [(m.status, m.lease_until) for m in messages] == [(MessageStatus.PENDING, None)] * 4
    assert not RecordRendition.objects.filter(notice=notice).exists()

    # Redis is back: the next dispatcher run queues the messages and the lost record render.
    _back_to_redis(redis_broker[1])
    with running_worker():
        report = dispatch()
        assert (report.broker_error, report.queued, report.records_queued) == (False, 4, 1)
        wait_until(
            lambda: (
                Message.objects.filter(
                    pk__in=[m.pk for m in messages], status=MessageStatus.SENT
                ).count()
                == 4
            )
        )
        wait_until(lambda: not RenderRequest.objects.filter(notice=notice).exists())
    assert RecordRendition.objects.filter(notice=notice).exists()

    assert sorted(smtp.message_ids()) == sorted(message_id_header(m) for m in messages)
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(a.person.email for a in acks)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert "unavailable" not in healthy.json()


def test_a_record_render_lost_on_completion_is_queued_again_by_the_dispatcher(
    redis_broker: tuple[str, str], bureau: Bureau
) -> None:
    notice = circulating_notice(bureau.clerk, units=(), people=("gyg_1",))
    use_broker(celery_app, DOWN_BROKER, redis_broker[1])
    confirm(notice.pk, "gyg_1")  # the last answer: completes the notice, the render is lost
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.COMPLETED
    request = RenderRequest.objects.get(notice=notice)
    assert request.queued_at == LOST_AT

    # Still down: the dispatcher tries and keeps it for the next run.
    report = dispatch()
    assert (report.broker_error, report.records_queued) == (True, 0)
    assert RenderRequest.objects.get(notice=notice).queued_at == LOST_AT

    _back_to_redis(redis_broker[1])
    report = dispatch()
    assert (report.broker_error, report.records_queued) == (False, 1)
    # Queued now: not again by the next run (the worker has it; there is none in this test).
    assert RenderRequest.objects.get(notice=notice).queued_at > LOST_AT
    assert dispatch().records_queued == 0
    client = redis.Redis.from_url(REDIS_URL)
    try:
        bodies = [
            json.loads(raw)["headers"]["task"] for raw in client.lrange(redis_broker[1], 0, -1)
        ]
    finally:
        client.close()
    assert bodies == ["circulation.ackrecord.tasks.render_record"]
