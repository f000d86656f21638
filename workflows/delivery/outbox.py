"""The entry point the sweep uses to hand written outbox messages to the delivery tasks.

The outbox rows are the truth; a queued task is only a doorbell. ``schedule_delivery`` marks the
messages as handed to the broker (``lease_until``, so the periodic dispatcher does not queue them a
second time meanwhile) and queues one ``deliver_message`` task per message *after* the caller's
transaction commits. If the broker cannot be reached the failure is logged and the mark is
cleared, so the next ``dispatch_outbox`` run (every minute) queues them; the caller — a reminder
sweep, a confirmation, a manual 催办 — never fails because of the broker.

A caller that commits many batches in a row (the reminder sweep) can wrap them in
``publishing_in_background()``: the after-commit publishing then runs, in commit order, on one
background thread while the caller goes on with its next batch, and the block ends only when all
of it is done.
"""

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from workflows.models import Message, MessageStatus

logger = logging.getLogger(__name__)

# Publishing happens in the committing request or task: try twice, quickly, then leave the rest
# to the dispatcher.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}


def lease_seconds() -> int:
    return int(settings.DELIVERY_LEASE_SECONDS)


def queue_lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=lease_seconds())


def schedule_delivery(message_ids: Sequence[int]) -> None:
    """After the current transaction commits, queue delivery of these outbox messages.

    Call it inside the transaction that wrote the messages. Outside a transaction the messages
    are queued at once.
    """
    ids = sorted({int(pk) for pk in message_ids})
    if not ids:
        return
    now = timezone.now()
    Message.objects.filter(
        pk__in=ids, status__in=(MessageStatus.PENDING, MessageStatus.RETRY)
    ).update(lease_until=queue_lease_until(now))
    transaction.on_commit(lambda: _publish(ids), robust=True)


class _Background(threading.local):
    executor: ThreadPoolExecutor | None = None


_background = _Background()


@contextmanager
def publishing_in_background() -> Iterator[None]:
    """Publish what this thread's commits schedule on one background thread, in order, while
    this thread goes on; wait for all of it on leaving the block. Nested blocks share one."""
    if _background.executor is not None:
        yield
        return
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-publish")
    _background.executor = executor
    try:
        yield
    finally:
        _background.executor = None
        executor.shutdown(wait=True)


def _publish(ids: list[int]) -> None:
    """The after-commit hand-over: now, or on the background thread of the block we are in."""
    executor = _background.executor
    if executor is None:
        enqueue(ids)
    else:
        executor.submit(_publish_in_background, ids)


def _publish_in_background(ids: list[int]) -> None:
    try:
        enqueue(ids)  # logs and releases on a broker failure; never raises for one
    except Exception:
        logger.exception("could not queue %d outbox messages; the dispatcher will", len(ids))
    finally:
        connections.close_all()  # this thread's own, opened only to release messages


def enqueue(message_ids: Iterable[int]) -> int:
    """Queue one delivery task per message now, over one producer; return how many were queued.

    Never raises for a broker failure: it logs, clears the "handed to the broker" mark of the
    messages not queued, and leaves them to the dispatcher.
    """
    from workflows.tasks import deliver_message

    ids = list(message_ids)
    queued = 0
    try:
        # One producer (one broker connection and channel) for all of them, not one each.
        with deliver_message.app.producer_or_acquire() as producer:
            for pk in ids:
                deliver_message.apply_async(
                    args=[pk],
                    producer=producer,
                    retry=True,
                    retry_policy=PUBLISH_RETRY_POLICY,
                )
                queued += 1
    except Exception:
        logger.exception(
            "broker unavailable: %d of %d outbox messages not queued; the dispatcher will "
            "queue them",
            len(ids) - queued,
            len(ids),
        )
        release(ids[queued:])
    return queued


def release(message_ids: Sequence[int]) -> None:
    """Forget that these messages were handed to the broker, so the dispatcher queues them."""
    if not message_ids:
        return
    try:
        Message.objects.filter(
            pk__in=list(message_ids),
            status__in=(MessageStatus.PENDING, MessageStatus.RETRY),
        ).update(lease_until=None)
    except Exception:  # the lease simply expires; never fail the caller
        logger.exception("could not release %d outbox messages", len(message_ids))
