"""Queueing the worker's render of a record (阅知确认单) after the caller's commit.

The on-commit helper behind ``serving.request_render``, which the completion (a service) and the
record requests call; it lives here rather than in ``tasks.py`` so that no service imports a
Celery tasks module (the import-linter contracts in pyproject.toml): the task is found by its
name (:func:`circulation.queueing.task`).
"""

import logging
from datetime import UTC, datetime
from functools import partial

from django.db import transaction

logger = logging.getLogger("circulation.ackrecord.tasks")  # the task's log, as before

RENDER_TASK = "circulation.ackrecord.tasks.render_record"

# ``queued_at`` of a render whose publish failed: long ago, so the outbox dispatcher's next run
# (workflows.delivery.requeue.queue_lost_renders) and the next request queue it again.
LOST_AT = datetime(2000, 1, 1, tzinfo=UTC)


def _send(notice_id: int) -> None:
    from circulation.ackrecord.models import RenderRequest
    from circulation.celery import publish
    from circulation.queueing import task

    try:
        publish(task(RENDER_TASK), [notice_id])  # bounded: CELERY_BROKER_PUBLISH_TIMEOUT
    except Exception:  # the broker is down or hung: the request waits for the dispatcher
        logger.exception("render_record: could not queue the render of notice %s", notice_id)
        try:
            RenderRequest.objects.filter(notice_id=notice_id, failed_at__isnull=True).update(
                queued_at=LOST_AT
            )
        except Exception:  # it goes stale on its own (serving._stale_before); never raise here
            logger.exception("render_record: could not mark the render of %s lost", notice_id)


def send_on_commit(notice_id: int) -> None:
    """Queue the ``render_record`` task once the current transaction commits; never raises later."""
    transaction.on_commit(partial(_send, notice_id))
