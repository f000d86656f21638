"""Downloads, audited: the 阅知确认单 (``record.downloaded``), the 处理笺 as it stands now
(``record.sheet_downloaded``) and the sealed files of an archived record (``archive.downloaded``).
Each appends one audit event in its own transaction; the file itself is served by the caller."""

import hashlib
import logging

from django.db import transaction
from django.utils import timezone

from circulation.ackrecord.data import content_hash
from circulation.ackrecord.fonts import FontUnavailable, MissingGlyphs
from circulation.ackrecord.handling_sheet import (
    HandlingSheet,
    render_failure,
    render_sheet,
    sheet_notice,
)
from circulation.ackrecord.handling_sheet_data import collect_sheet_data
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.sandbox import SandboxError
from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.models import AuditAction

logger = logging.getLogger(__name__)


def record_download(
    actor: Actor, rendition: RecordRendition, *, sealed_sha256: str = "", archival_code: str = ""
) -> None:
    """Audit that someone downloaded a record (``record.downloaded``): the rendition, or for an
    archived notice the sealed file (its 档号 and SHA-256)."""
    data = {"rendition": str(rendition.pk), "sha256": sealed_sha256 or rendition.sha256}
    if archival_code:
        data["archival_code"] = archival_code
    with transaction.atomic(durable=True):
        append_event(
            actor,
            AuditAction.RECORD_DOWNLOADED,
            rendition,
            notice_id=rendition.notice_id,
            data=data,
        )


def handling_sheet(actor: Actor, notice_id: int, *, timeout: float | None = None) -> HandlingSheet:
    """The notice's 处理笺 as it stands now, its download audited (``record.sheet_downloaded``
    with the data's content hash and the file's SHA-256).

    Raises ``NotVisible`` (404) for someone who may not read the whole record or a 阅知 notice,
    ``Conflict`` (409, ``missing_glyphs``) or ``RecordUnavailable`` (503, ``render_failed``)
    when it cannot be rendered. Call it outside any transaction: it renders.
    """
    notice = sheet_notice(actor.user, notice_id)
    with transaction.atomic(durable=True):
        data = collect_sheet_data(notice.pk, lock=True)
    digest = content_hash(data)
    generated_at = timezone.now()
    try:
        pdf, pages = render_sheet(data, generated_at=generated_at, digest=digest, timeout=timeout)
    except (MissingGlyphs, SandboxError, FontUnavailable) as exc:
        logger.warning("handling sheet of notice %s not rendered: %s", notice.pk, exc)
        raise render_failure(exc) from exc
    sheet = HandlingSheet(
        pdf=pdf,
        page_count=pages,
        content_hash=digest,
        sha256=hashlib.sha256(pdf).hexdigest(),
        generated_at=generated_at,
        doc_number=notice.doc_number,
    )
    with transaction.atomic(durable=True):
        append_event(
            actor,
            AuditAction.RECORD_SHEET_DOWNLOADED,
            notice,
            notice_id=notice.pk,
            data={"content_hash": digest, "sha256": sheet.sha256, "pages": pages},
        )
    return sheet


def archive_download(
    actor: Actor, record: ArchivedRecord, *, what: str, attachment_id: int | None = None
) -> None:
    """Audit one download of the sealed record (``record.pdf``) or of an attachment."""
    with transaction.atomic(durable=True):
        append_event(
            actor,
            AuditAction.ARCHIVE_DOWNLOADED,
            record,
            notice_id=record.notice_id,
            data={
                "archival_code": record.archival_code,
                "what": what,
                **({"attachment": attachment_id} if attachment_id is not None else {}),
            },
        )
