"""The entry point the sweep uses to hand written outbox messages to the delivery tasks.

The outbox rows are the truth; a queued task is only a doorbell. ``schedule_delivery`` marks the
messages as handed to the broker (``lease_until``, so the periodic dispatcher does not queue them a
second time meanwhile) and, *after* the caller's transaction commits, queues one
``deliver_messages`` task per chunk of at most ``TASK_CHUNK`` message ids. The task still claims,
sends and records every message on its own (:mod:`workflows.delivery.dispatcher`), so a chunk
changes how many doorbells ring, not how a message is delivered: each one is sent once, retried
with its own backoff, failed on its own. If the broker cannot be reached the failure is logged and
the mark is cleared for the messages not queued, so the next ``dispatch_outbox`` run (every
minute) queues them; the caller — a reminder sweep, a confirmation, a manual 催办 — never fails
because of the broker.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workflows.models import Message, MessageStatus

logger = logging.getLogger(__name__)

# Message ids per delivery task. Publishing one task costs about as much as publishing one id
# list, so a sweep's 10,000 messages are 200 publishes, not 10,000; small enough that a busy
# outbox still spreads over several workers, and a chunk of slow sends fits its task's time budget
# (``workflows.tasks.deliver_messages`` hands what it has not started back to the broker).
TASK_CHUNK = 50


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
    transaction.on_commit(lambda: enqueue(ids), robust=True)


def chunks(ids: Sequence[int], size: int = TASK_CHUNK) -> list[list[int]]:
    """``ids`` in order, cut into lists of at most ``size``."""
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def enqueue(message_ids: Iterable[int]) -> int:
    """Queue delivery of these messages now, one ``deliver_messages`` task per ``TASK_CHUNK`` ids,
    over one producer; return how many messages were queued.

    Never raises for a broker failure: it logs, clears the "handed to the broker" mark of the
    messages not queued, and leaves them to the dispatcher.
    """
    from circulation.celery import producer, publish
    from circulation.queueing import task

    ids = list(message_ids)
    if not ids:
        return 0
    # By name: the services reach this module, and must not import workflows.tasks (which
    # imports the delivery code back).
    deliver_messages = task("workflows.tasks.deliver_messages")
    queued = 0
    try:
        # One producer (one broker connection and channel) for all of them, not one each. Each
        # publish is bounded (CELERY_BROKER_PUBLISH_TIMEOUT); the first that fails ends the loop.
        with producer() as shared:
            for chunk in chunks(ids):
                publish(deliver_messages, [chunk], producer=shared)
                queued += len(chunk)
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
