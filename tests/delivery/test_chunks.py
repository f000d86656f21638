"""Delivery tasks carry chunks of message ids: every message rings one doorbell, each message is
still claimed, sent and recorded on its own — one failing does not stop the others, a chunk run
twice sends nothing twice, and what a slow chunk has not started goes back to the broker."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.delivery.builders import MakeMessage
from tests.delivery.servers import MailCollector, wait_until
from workflows.delivery import dispatcher, outbox
from workflows.delivery.dispatcher import Outcome, deliver_many
from workflows.delivery.email import message_id_header
from workflows.delivery.outbox import TASK_CHUNK, schedule_delivery
from workflows.models import DeliveryAttempt, Message, MessageStatus
from workflows.tasks import deliver_messages


class Published:
    """``deliver_messages.apply_async`` recorded instead of sent to a broker."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_on: int | None = None) -> None:
        self.chunks: list[list[int]] = []
        self.fail_on = fail_on
        monkeypatch.setattr(deliver_messages, "apply_async", self.apply_async)

    def apply_async(self, args: list[Any], **options: Any) -> None:
        if self.fail_on is not None and len(self.chunks) == self.fail_on:
            raise ConnectionError("broker went away")
        self.chunks.append(list(args[0]))


def test_each_message_rings_one_doorbell_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    published = Published(monkeypatch)
    ids = list(range(1, 2 * TASK_CHUNK + 8))

    assert outbox.enqueue(ids) == len(ids)

    assert [len(chunk) for chunk in published.chunks] == [TASK_CHUNK, TASK_CHUNK, 7]
    flat = [pk for chunk in published.chunks for pk in chunk]
    assert Counter(flat) == Counter(ids)  # every id in exactly one task


@pytest.mark.django_db
def test_a_broker_failure_midway_leaves_the_unqueued_messages_to_the_dispatcher(
    monkeypatch: pytest.MonkeyPatch,
    make_message: MakeMessage,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    published = Published(monkeypatch, fail_on=1)
    ids = sorted(make_message().pk for _ in range(TASK_CHUNK + 3))
    with (
        caplog.at_level(logging.ERROR, logger="workflows.delivery.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        schedule_delivery(ids)
        assert published.chunks == []  # nothing before the commit

    assert published.chunks == [ids[:TASK_CHUNK]]
    assert "3 of 53 outbox messages not queued" in caplog.text
    leases = dict(Message.objects.filter(pk__in=ids).values_list("pk", "lease_until"))
    assert all(leases[pk] is not None for pk in ids[:TASK_CHUNK])  # handed to the broker
    assert all(leases[pk] is None for pk in ids[TASK_CHUNK:])  # due for the dispatcher at once


@pytest.mark.django_db
def test_one_failing_message_does_not_stop_the_chunk_and_a_rerun_sends_nothing_twice(
    smtp: MailCollector,
    make_message: MakeMessage,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = [make_message() for _ in range(4)]
    unknown = make_message(channel="pigeon")  # no such channel: fails for good
    broken = make_message()  # the database fails while claiming it
    ids = [good[0].pk, unknown.pk, good[1].pk, broken.pk, good[2].pk, good[3].pk]
    claim = dispatcher.claim

    def flaky_claim(message_id: int, now: Any) -> Any:
        if message_id == broken.pk:
            raise RuntimeError("connection reset")
        return claim(message_id, now)

    monkeypatch.setattr(dispatcher, "claim", flaky_claim)
    with caplog.at_level(logging.ERROR, logger="workflows.delivery.dispatcher"):
        first = deliver_messages(ids)  # the task body, as a worker runs it

    assert first == {"sent": 4, "failed": 1, "error": 1}
    assert f"outbox message {broken.pk}: could not claim" in caplog.text
    assert Counter(smtp.message_ids()) == Counter(message_id_header(m) for m in good)
    unknown.refresh_from_db()
    assert unknown.status == MessageStatus.FAILED
    broken.refresh_from_db()
    assert broken.status == MessageStatus.PENDING  # left to its lease and the dispatcher

    monkeypatch.setattr(dispatcher, "claim", claim)
    again = deliver_messages(ids)  # a redelivered task

    assert again == {"skipped": 5, "sent": 1}
    assert Counter(smtp.message_ids()) == Counter(message_id_header(m) for m in [*good, broken])
    assert DeliveryAttempt.objects.filter(message__in=[*good, broken], ok=True).count() == 5


@pytest.mark.django_db
def test_what_a_slow_chunk_has_not_started_goes_back_to_the_broker(
    smtp: MailCollector,
    make_message: MakeMessage,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ids = [make_message().pk for _ in range(5)]
    published = Published(monkeypatch)
    clock = itertools.count(step=10)  # every look at the clock: 10 s later
    monkeypatch.setattr(dispatcher, "time", SimpleNamespace(monotonic=lambda: next(clock)))

    # The test runs in a transaction; a worker's task does not (queued at once there).
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = deliver_many(ids, budget_seconds=25)  # starts at 0; looks at 10, 20, 30

    assert outcomes == {Outcome.SENT: 2, Outcome.REQUEUED: 3}
    assert len(smtp.messages) == 2
    assert published.chunks == [ids[2:]]
    pending = Message.objects.filter(pk__in=ids[2:])
    assert all(m.status == MessageStatus.PENDING for m in pending)
    assert all(m.lease_until and m.lease_until > timezone.now() for m in pending)


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_every_message_of_several_chunks_once(
    smtp: MailCollector, worker: Any, make_message: MakeMessage
) -> None:
    messages = [make_message() for _ in range(2 * TASK_CHUNK + 3)]
    ids = [m.pk for m in messages]
    with transaction.atomic():
        schedule_delivery(ids)

    wait_until(
        lambda: Message.objects.filter(pk__in=ids, status=MessageStatus.SENT).count() == len(ids)
    )
    received = Counter(smtp.message_ids())
    assert received == Counter(message_id_header(m) for m in messages)
    assert set(received.values()) == {1}
    assert DeliveryAttempt.objects.filter(message_id__in=ids).count() == len(ids)
