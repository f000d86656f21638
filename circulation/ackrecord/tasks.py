"""Celery task: render a notice's acknowledgement record (when it completes, or on request).

Idempotent: the record is keyed by its content hash, so running the task twice (``acks_late``
redelivery, a double completion) stores one rendition.
"""

import logging
from functools import partial

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def render_record(notice_id: int) -> str | None:
    """Make sure the notice's current record exists; returns the rendition id (or None)."""
    from circulation.ackrecord.services import current_record
    from circulation.records.models import Notice
    from workflows.services.errors import DomainError

    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        logger.warning("render_record: notice %s is gone", notice_id)
        return None
    try:
        rendition = current_record(notice)
    except DomainError as exc:  # the data cannot be rendered (e.g. a character without a glyph)
        logger.error("render_record: notice %s: %s", notice_id, exc)
        return None
    return str(rendition.pk)


def _send(notice_id: int) -> None:
    try:
        render_record.delay(notice_id)
    except Exception:  # the broker is down: the record is rendered on its first request instead
        logger.exception("render_record: could not queue the render of notice %s", notice_id)


def queue_render_on_commit(notice_id: int) -> None:
    """Queue :func:`render_record` once the current transaction commits; never raises later."""
    transaction.on_commit(partial(_send, notice_id))
