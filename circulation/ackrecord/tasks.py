"""Celery task: render a notice's acknowledgement record (when it completes, or on request).

Idempotent: the record is keyed by its content hash, so running the task twice (``acks_late``
redelivery, a double completion) stores one rendition. A queued render has a ``RenderRequest``
row (``circulation.ackrecord.serving``), which the task removes when it is done.
"""

import logging

from celery import shared_task

# The on-commit queue helpers moved to circulation.ackrecord.queue (services must not import this
# module); their names stay importable from here.
from circulation.ackrecord.queue import LOST_AT, _send, send_on_commit  # noqa: F401

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def render_record(notice_id: int) -> str | None:
    """Make sure the notice's current record exists; returns the rendition id (or None)."""
    from circulation.ackrecord.renditions import current_record
    from circulation.ackrecord.serving import finish_render_request, render_failed
    from circulation.records.errors import DomainError
    from circulation.records.models import Notice

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
