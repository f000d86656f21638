"""Celery task: render a notice's acknowledgement record (when it completes, or on request).

Idempotent: the record is keyed by its content hash, so running the task twice (``acks_late``
redelivery, a double completion) stores one rendition. A queued render has a ``RenderRequest``
row (``circulation.ackrecord.serving``), which the task removes when it is done.
"""

import logging
from datetime import UTC, datetime
from functools import partial

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def render_record(notice_id: int) -> str | None:
    """Make sure the notice's current record exists; returns the rendition id (or None)."""
    from circulation.ackrecord.services import current_record
    from circulation.ackrecord.serving import finish_render_request, render_failed
    from circulation.records.models import Notice
    from workflows.services.errors import DomainError

    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        logger.warning("render_record: notice %s is gone", notice_id)
        return None
    for _ in range(3):  # a request asked for newer data while this render ran: render that too
        try:
            rendition = current_record(notice)
        except DomainError as exc:  # the record cannot be made (an altered attachment, limits)
            logger.error("render_record: notice %s: %s", notice_id, exc)
            render_failed(notice_id, exc.message_en)
            return None
        if finish_render_request(notice_id, rendition.content_hash):
            break
    return str(rendition.pk)


# ``queued_at`` of a render whose publish failed: long ago, so the outbox dispatcher's next run
# (workflows.delivery.requeue.queue_lost_renders) and the next request queue it again.
LOST_AT = datetime(2000, 1, 1, tzinfo=UTC)


def _send(notice_id: int) -> None:
    from circulation.ackrecord.models import RenderRequest
    from circulation.celery import publish

    try:
        publish(render_record, [notice_id])  # bounded: CELERY_BROKER_PUBLISH_TIMEOUT
    except Exception:  # the broker is down or hung: the request waits for the dispatcher
        logger.exception("render_record: could not queue the render of notice %s", notice_id)
        try:
            RenderRequest.objects.filter(notice_id=notice_id, failed_at__isnull=True).update(
                queued_at=LOST_AT
            )
        except Exception:  # it goes stale on its own (serving._stale_before); never raise here
            logger.exception("render_record: could not mark the render of %s lost", notice_id)


def send_on_commit(notice_id: int) -> None:
    """Queue :func:`render_record` once the current transaction commits; never raises later."""
    transaction.on_commit(partial(_send, notice_id))


def queue_render_on_commit(notice_id: int) -> None:
    """Queue the render after the commit unless one is queued already (``RenderRequest``).
    Call with the notice row locked (as the completion does)."""
    from circulation.ackrecord.serving import request_render

    request_render(notice_id)
