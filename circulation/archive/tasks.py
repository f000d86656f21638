"""Archive tasks. ``anchor_audit_log()``: beat, every ``AUDIT_CHECKPOINT_SECONDS``; signs the audit
chain head into a checkpoint (:mod:`circulation.archive.checkpoint`). Running it twice writes one
checkpoint: an unmoved head is left alone."""

import logging

from celery import shared_task

from circulation.archive.checkpoint import CheckpointRefused, write_checkpoint

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, soft_time_limit=240)
def anchor_audit_log() -> int | None:
    """The checkpoint's seq, or None (no seal, no events, or the chain refused: logged)."""
    try:
        checkpoint = write_checkpoint()
    except CheckpointRefused as exc:
        logger.error("audit checkpoint refused: %s", exc)
        return None
    return checkpoint.seq if checkpoint else None
