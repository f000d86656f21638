"""Celery tasks. Each takes ids (never rows or file bytes), re-reads the database and skips what is
already done, so running one twice — a redelivered message after a worker died, a second beat —
changes nothing. They are acknowledged late and rejected (requeued) when their worker is lost.

- ``deliver_messages(ids)``: queued by :func:`workflows.delivery.outbox.enqueue` — after the
  sweep's, a confirmation's or a manual 催办's transaction commits, and by the dispatcher — with
  up to ``TASK_CHUNK`` outbox message ids; each message is claimed, sent and recorded on its own.
- ``dispatch_outbox()``: beat, every ``OUTBOX_DISPATCH_SECONDS``; queues due and lost messages.
- ``sweep_reminders()``: beat, every ``REMINDER_SWEEP_SECONDS``; decides and writes reminders.
"""

import logging
from typing import Any

from celery import shared_task

from workflows.delivery.dispatcher import deliver_many
from workflows.delivery.requeue import dispatch
from workflows.services.sweep import run_reminder_sweep

logger = logging.getLogger(__name__)

SAFE_TWICE: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}

# A chunk task starts no new message after this many seconds (the rest are queued again), so its
# last send — bounded by EMAIL_TIMEOUT / WEBHOOK_TIMEOUT and the single task's 60 s soft limit —
# ends well inside the soft limit below.
CHUNK_BUDGET_SECONDS = 60


# The hard limits stay below DELIVERY_LEASE_SECONDS (180 s by default): a message is claimed for
# one lease from the moment its own delivery starts, so a live worker never loses a lease to
# another; EMAIL_TIMEOUT and WEBHOOK_TIMEOUT fit well inside the soft limits.
@shared_task(**SAFE_TWICE, soft_time_limit=130, time_limit=160)
def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    outcomes = deliver_many([int(pk) for pk in message_ids], CHUNK_BUDGET_SECONDS)
    return {str(outcome): count for outcome, count in outcomes.items()}


@shared_task(**SAFE_TWICE, soft_time_limit=100, time_limit=120)
def dispatch_outbox() -> dict[str, int]:
    report = dispatch()
    return {"recovered": report.recovered, "queued": report.queued}


@shared_task(**SAFE_TWICE, soft_time_limit=240, time_limit=300)
def sweep_reminders() -> None:
    run_reminder_sweep()
