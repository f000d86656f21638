"""What ``GET …/record.pdf`` answers while the notice is not archived: never a render that can
outlive the web worker.

- The stored rendition when it is current (its content hash is the data's): served at once.
- Otherwise a small record (at most ``RECORD_INLINE_MAX_RECIPIENTS`` recipients and
  :data:`INLINE_MAX_ATTACHMENT_BYTES` of attachments) is rendered in the request, with at most
  :data:`INLINE_TIMEOUT_SECONDS`. Measured on 2 cores (docs/benchmarks.md): about 1.1 ms a
  recipient on a quiet machine, 13 ms under a load average of 7 — 300 recipients take 0.6 s,
  3.2 s under that load; 3,000 took 39 s under load, too close to gunicorn's 60 s limit. So 300
  keeps a web worker busy for seconds at most, and a render that still passes 20 s goes to the
  worker.
- A bigger record (or a small one that ran out of its inline time) is rendered by the Celery
  worker: a :class:`RenderRequest` row (one per notice) says a render is queued, so polling
  clients never queue it twice, and the view answers ``202`` with ``Retry-After``. The task
  re-checks the content hash (it renders the data current when it runs) and removes the row.
  A row older than twice the render time limit (a lost task, a dead worker) is queued again; a
  failed render is reported once as ``503`` and queued again on the next request.
"""

import logging
import math
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone

from circulation.ackrecord import conf
from circulation.ackrecord.data import RecordData, collect_record_data, content_hash
from circulation.ackrecord.models import RecordRendition, RenderRequest
from circulation.ackrecord.queue import send_on_commit
from circulation.ackrecord.renditions import RecordUnavailable, render_and_store, snapshot
from circulation.ackrecord.sandbox import SandboxError
from circulation.records.actors import Actor
from circulation.records.models import Notice

logger = logging.getLogger(__name__)

INLINE_MAX_ATTACHMENT_BYTES = 8 << 20  # embedding copies them: big files go to the worker
INLINE_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class RecordPending:
    """The record is being rendered by the worker: ask again after ``retry_after`` seconds."""

    retry_after: int


def renders_inline(data: RecordData) -> bool:
    attachments = sum(int(a["size"]) for a in data["attachments"])
    return (
        data["totals"]["total"] <= conf.inline_max_recipients()
        and attachments <= INLINE_MAX_ATTACHMENT_BYTES
    )


def retry_after(data: RecordData) -> int:
    """Seconds until the worker has probably finished: 2 s + 1.5 ms a recipient (2 s per 1,000
    recipients measured on 2 cores), at most a minute."""
    return min(60, 2 + math.ceil(data["totals"]["total"] * 0.0015))


def _stale_before() -> timedelta:
    return timedelta(seconds=2 * conf.render_timeout() + 60)


def request_render(notice_id: int, digest: str = "") -> RenderRequest | None:
    """Queue the worker's render of the notice's record after the commit, unless one is already
    queued (and not stale). Runs in the caller's transaction, after the notice row is locked.
    Returns the failed request when the last render failed for this very data (not queued)."""
    now = timezone.now()
    queued = RenderRequest.objects.select_for_update().filter(notice_id=notice_id).first()
    if queued is None:
        RenderRequest.objects.create(notice_id=notice_id, content_hash=digest, queued_at=now)
        send_on_commit(notice_id)
        return None
    if queued.failed_at is not None and queued.content_hash in ("", digest):
        return queued
    if queued.failed_at is not None or queued.queued_at < now - _stale_before():
        queued.failed_at, queued.error, queued.queued_at = None, "", now
        send_on_commit(notice_id)
    queued.content_hash = digest or queued.content_hash
    queued.save()
    return None


def record_for_download(notice: Notice, *, actor: Actor) -> RecordRendition | RecordPending:
    """The rendition to serve now, or :class:`RecordPending` when the worker renders it.

    Raises ``RecordUnavailable`` (503) when the worker's last render of this data failed (the
    next request queues it again) or the inline render failed other than by its time limit.
    """
    outcome: RecordPending | str | None = None
    with transaction.atomic(durable=True):
        data, digest, existing = snapshot(notice.pk)
        if existing is None and not renders_inline(data):
            outcome = _pending(notice.pk, data, digest)
    if existing is not None:
        return existing
    if outcome is not None:
        return _answer(outcome)
    timeout = min(conf.render_timeout(), INLINE_TIMEOUT_SECONDS)
    try:
        return render_and_store(notice.pk, data, digest, actor=actor, timeout=timeout)
    except RecordUnavailable as exc:
        if not (isinstance(exc.__cause__, SandboxError) and exc.__cause__.reason == "timeout"):
            raise
        logger.warning("record of notice %s: inline render too slow, queued", notice.pk)
    with transaction.atomic(durable=True):
        data, digest, existing = snapshot(notice.pk)
        if existing is not None:
            return existing
        outcome = _pending(notice.pk, data, digest)
    return _answer(outcome)


def _pending(notice_id: int, data: RecordData, digest: str) -> RecordPending | str:
    """Queue (once) and say when to come back; or the error of the failed render (its request
    is removed with this transaction, so the next request queues a new render)."""
    failed = request_render(notice_id, digest)
    if failed is None:
        return RecordPending(retry_after(data))
    failed.delete()
    return failed.error or "render failed"


def _answer(outcome: RecordPending | str) -> RecordPending:
    if isinstance(outcome, str):
        raise RecordUnavailable(
            "确认单生成失败，请稍后重试",
            f"The record could not be rendered: {outcome}",
            code="render_failed",
        )
    return outcome


def finish_render_request(notice_id: int, rendered_hash: str) -> bool:
    """After the worker stored ``rendered_hash``: drop the notice's request, unless a request
    asked for newer data that is still current (then render again: ``False``)."""
    with transaction.atomic(durable=True):
        data = collect_record_data(notice_id, lock=True)
        current = content_hash(data)
        queued = RenderRequest.objects.select_for_update().filter(notice_id=notice_id).first()
        if queued is None:
            return True
        if queued.content_hash == current and current != rendered_hash:
            return False
        queued.delete()
        return True


def render_failed(notice_id: int, error: str) -> None:
    """The worker could not render the record: the next request answers 503 once."""
    with transaction.atomic(durable=True):
        RenderRequest.objects.filter(notice_id=notice_id).update(
            failed_at=timezone.now(), error=error[:2000]
        )


def content_disposition(doc_number: str) -> str:
    """``inline`` with the 文号 as file name (RFC 6266/5987: an ASCII fallback and UTF-8)."""
    name = f"{doc_number} 阅知确认单.pdf"
    ascii_part = re.sub(r"[^A-Za-z0-9]+", "-", doc_number).strip("-")
    fallback = f"record-{ascii_part}.pdf" if ascii_part else "record.pdf"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
