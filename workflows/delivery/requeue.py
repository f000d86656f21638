"""The periodic outbox dispatcher (beat, every minute) and the admin's "retry now".

Each run is a :class:`SweepRun` (kind ``dispatch``), which is also the beat tick ``/healthz``
shows. It

1. recovers lost claims: a ``sending`` message whose lease expired (its worker was killed) gets a
   failed attempt with that reason and becomes ``retry`` now (or ``failed`` when its attempts are
   used up);
2. queues delivery of every due ``pending``/``retry`` message that is not already handed to the
   broker (``lease_until`` in the future), marking it handed for one lease (one delivery task per
   ``outbox.TASK_CHUNK`` messages).

Both steps take their rows with ``SELECT … FOR UPDATE SKIP LOCKED``, so two dispatchers running at
once (two beats, a manual run) split the rows between them; and a message queued twice is still
sent once, because the delivery task claims it the same way.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workflows.delivery.dispatcher import (
    LOST_REASON,
    MAX_REASON,
    POLICY_PATH,
    lost_attempt,
    max_attempts_for,
)
from workflows.delivery.outbox import enqueue, queue_lease_until, schedule_delivery
from workflows.models import DeliveryAttempt, Message, MessageStatus, SweepRun

logger = logging.getLogger(__name__)

SWEEP_KIND = "dispatch"
BATCH = 500
MAX_BATCHES = 40  # at most 20,000 messages queued per run; the rest wait for the next minute
KEEP_RUNS = timedelta(days=7)


@dataclass(frozen=True)
class DispatchReport:
    recovered: int
    queued: int
    broker_error: bool


def recover_lost(now: datetime, batch: int = BATCH) -> int:
    """Turn expired ``sending`` claims back into due retries (or failures). Returns how many."""
    total = 0
    while True:
        with transaction.atomic():
            lost = list(
                Message.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(POLICY_PATH)
                .filter(status=MessageStatus.SENDING, lease_until__lt=now)
                .order_by("lease_until")[:batch]
            )
            for message in lost:
                message.lease_until = None
                if message.attempts >= max_attempts_for(message):
                    message.status = MessageStatus.FAILED
                    message.next_attempt_at = None
                else:
                    message.status = MessageStatus.RETRY
                    message.next_attempt_at = now
                message.last_error = LOST_REASON[:MAX_REASON]
            DeliveryAttempt.objects.bulk_create(lost_attempt(m, now) for m in lost)
            Message.objects.bulk_update(
                lost, ["status", "next_attempt_at", "last_error", "lease_until"]
            )
        total += len(lost)
        if len(lost) < batch:
            return total


def take_due(now: datetime, batch: int = BATCH) -> list[int]:
    """Mark up to ``batch`` due messages as handed to the broker and return their ids."""
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status__in=(MessageStatus.PENDING, MessageStatus.RETRY))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(lease_until=queue_lease_until(now))
    return ids


def dispatch(now: datetime | None = None, batch: int = BATCH) -> DispatchReport:
    """One dispatcher run (see the module docstring)."""
    now = now or timezone.now()
    run = SweepRun.objects.create(kind=SWEEP_KIND, started_at=now, as_of=now)
    recovered = queued = 0
    broker_error = False
    try:
        recovered = recover_lost(now, batch)
        for _ in range(MAX_BATCHES):
            ids = take_due(now, batch)
            sent_to_broker = enqueue(ids)
            queued += sent_to_broker
            if sent_to_broker < len(ids):
                broker_error = True
                break
            if len(ids) < batch:
                break
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:MAX_REASON]
        raise
    finally:
        if broker_error:
            run.error = "broker unavailable: messages stay due for the next run"
        run.claimed = queued
        run.finished_at = timezone.now()
        run.save(update_fields=["claimed", "finished_at", "error"])
        SweepRun.objects.filter(kind=SWEEP_KIND, started_at__lt=now - KEEP_RUNS).delete()
    if recovered or queued:
        logger.info("outbox dispatch: %d lost claims recovered, %d queued", recovered, queued)
    return DispatchReport(recovered=recovered, queued=queued, broker_error=broker_error)


def retry_now(message_ids: Sequence[int], now: datetime | None = None) -> int:
    """Admin "retry now": failed and waiting messages get one more attempt at once.

    A failed message keeps its attempt count, so if this attempt fails too it is failed again.
    Returns how many messages were put back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update()
            .filter(
                pk__in=list(message_ids),
                status__in=(MessageStatus.FAILED, MessageStatus.RETRY, MessageStatus.PENDING),
            )
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.RETRY, next_attempt_at=now, lease_until=None
        )
        schedule_delivery(ids)
    return len(ids)
