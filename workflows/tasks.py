"""Celery tasks. Each takes ids (never rows or file bytes), re-reads the database and skips what is
already done, so running one twice — a redelivered message after a worker died, a second beat —
changes nothing. They are acknowledged late and rejected (requeued) when their worker is lost.

- ``deliver_message(id)``: queued by :func:`workflows.delivery.outbox.schedule_delivery` after the
  sweep's transaction commits, and by the dispatcher.
- ``dispatch_outbox()``: beat, every ``OUTBOX_DISPATCH_SECONDS``; queues due and lost messages.
- ``sweep_reminders()``: beat, every ``REMINDER_SWEEP_SECONDS``; decides and writes reminders.
"""

import logging
from typing import Any

from celery import shared_task

from workflows.delivery.dispatcher import deliver
from workflows.delivery.requeue import dispatch

logger = logging.getLogger(__name__)

SAFE_TWICE: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


# The hard limit stays below DELIVERY_LEASE_SECONDS (180 s by default), so a live worker never
# loses its lease to another; EMAIL_TIMEOUT and WEBHOOK_TIMEOUT fit well inside the soft limit.
@shared_task(**SAFE_TWICE, soft_time_limit=60, time_limit=90)
def deliver_message(message_id: int) -> str:
    return str(deliver(int(message_id)))


@shared_task(**SAFE_TWICE, soft_time_limit=100, time_limit=120)
def dispatch_outbox() -> dict[str, int]:
    report = dispatch()
    return {"recovered": report.recovered, "queued": report.queued}


@shared_task(**SAFE_TWICE, soft_time_limit=240, time_limit=300)
def sweep_reminders() -> None:
    # Imported here: the reminder sweep is a separate module, and this one must import without it.
    from workflows.reminders.sweep import run_reminder_sweep

    run_reminder_sweep()
