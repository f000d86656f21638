"""The periodic outbox dispatcher (beat, every minute) and the admin's "retry now".

Each run is a :class:`SweepRun` (kind ``dispatch``), which is also the beat tick ``/healthz``
shows. It

1. recovers lost claims: a ``sending`` message whose lease expired (its worker was killed) gets a
   failed attempt with that reason and becomes ``retry`` now (or ``failed`` when its attempts are
   used up);
2. queues delivery of every due ``pending``/``retry`` message that is not already handed to the
   broker (``lease_until`` in the future), marking it handed for one lease (one delivery task per
   ``outbox.TASK_CHUNK`` messages);
3. queues again the 阅知确认单 renders that were lost (:func:`queue_lost_renders`): queued on
   completion or by a request while the broker was down or hung, or taken by a worker that died.

Every publish is bounded (``CELERY_BROKER_PUBLISH_TIMEOUT``, :func:`circulation.celery.publish`);
when the broker fails, the run records the error and the next run takes the same messages and
renders again.

Steps 1 and 2 take their rows with ``SELECT … FOR UPDATE SKIP LOCKED``, so two dispatchers running
at once (two beats, a manual run) split the rows between them; and a message queued twice is still
sent once, because the delivery task claims it the same way. A render queued twice stores one
record (it is keyed by its content hash).
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
BROKER_ERROR = "broker unavailable: messages stay due for the next run"


@dataclass(frozen=True)
class DispatchReport:
    recovered: int
    queued: int
    broker_error: bool
    records_queued: int = 0


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


def queue_lost_renders(now: datetime, batch: int = BATCH) -> tuple[int, bool]:
    """Queue again the record renders that were handed to the broker and never done; returns
    (how many queued, whether the broker failed).

    A render waiting for the worker is a ``RenderRequest`` row (``circulation.ackrecord``). One
    that is not failed and older than the age after which a polling request queues it again
    (a lost task, a dead worker) is lost; so is one whose publish failed, which
    ``circulation.ackrecord.tasks`` marks as queued long ago. Without this, the record of a
    notice that completed while the broker was down or hung waited for someone to ask for it.
    """
    from circulation.ackrecord.models import RenderRequest
    from circulation.ackrecord.serving import _stale_before  # the polling request's rule
    from circulation.ackrecord.tasks import render_record
    from circulation.celery import producer, publish

    lost = list(
        RenderRequest.objects.filter(failed_at__isnull=True, queued_at__lt=now - _stale_before())
        .order_by("queued_at")
        .values_list("notice_id", flat=True)[:batch]
    )
    if not lost:
        return 0, False
    queued: list[int] = []
    broker_error = False
    try:
        with producer() as shared:
            for notice_id in lost:
                publish(render_record, [notice_id], producer=shared)
                queued.append(notice_id)
    except Exception:
        broker_error = True
        logger.exception(
            "broker unavailable: %d record render(s) not queued; the next run retries",
            len(lost) - len(queued),
        )
    # Queued now: a polling request or the next run waits for them as for any render.
    RenderRequest.objects.filter(notice_id__in=queued, failed_at__isnull=True).update(queued_at=now)
    if queued:
        logger.warning("queued %d lost record render(s) again", len(queued))
    return len(queued), broker_error


def dispatch(now: datetime | None = None, batch: int = BATCH) -> DispatchReport:
    """One dispatcher run (see the module docstring)."""
    now = now or timezone.now()
    run = SweepRun.objects.create(kind=SWEEP_KIND, started_at=now, as_of=now)
    recovered = queued = records = 0
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
        if not broker_error:  # a broker that just failed would fail again: the next run retries
            records, broker_error = queue_lost_renders(now, batch)
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:MAX_REASON]
        raise
    finally:
        if broker_error:
            run.error = BROKER_ERROR
        run.claimed = queued
        run.finished_at = timezone.now()
        run.save(update_fields=["claimed", "finished_at", "error"])
        SweepRun.objects.filter(kind=SWEEP_KIND, started_at__lt=now - KEEP_RUNS).delete()
    if recovered or queued:
        logger.info("outbox dispatch: %d lost claims recovered, %d queued", recovered, queued)
    return DispatchReport(
        recovered=recovered, queued=queued, broker_error=broker_error, records_queued=records
    )


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
