"""Downloads, audited: the 阅知确认单 (``record.downloaded``), the 处理笺 as it stands now
(``record.sheet_downloaded``) and the sealed files of an archived record (``archive.downloaded``).
Each appends one audit event in its own transaction; the file itself is served by the caller."""

from typing import Any

from django.db import transaction

from circulation.ackrecord.handling_sheet import HandlingSheet, current_sheet, sheet_notice
from circulation.ackrecord.models import RecordRendition
from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.models import AuditAction


def _audit(
    actor: Actor, action: AuditAction, target: Any, notice_id: int, data: dict[str, Any]
) -> None:
    with transaction.atomic(durable=True):
        append_event(actor, action, target, notice_id=notice_id, data=data)


def record_download(
    actor: Actor, rendition: RecordRendition, *, sealed_sha256: str = "", archival_code: str = ""
) -> None:
    """Audit that someone downloaded a record (``record.downloaded``): the rendition, or for an
    archived notice the sealed file (its 档号 and SHA-256)."""
    data = {"rendition": str(rendition.pk), "sha256": sealed_sha256 or rendition.sha256}
    if archival_code:
        data["archival_code"] = archival_code
    _audit(actor, AuditAction.RECORD_DOWNLOADED, rendition, rendition.notice_id, data)


def handling_sheet(actor: Actor, notice_id: int, *, timeout: float | None = None) -> HandlingSheet:
    """The notice's 处理笺 as it stands now, its download audited (``record.sheet_downloaded``
    with the data's content hash and the file's SHA-256).

    Raises ``NotVisible`` (404) for someone who may not read the whole record or a 阅知 notice,
    ``Conflict`` (409, ``missing_glyphs``) or ``RecordUnavailable`` (503, ``render_failed``)
    when it cannot be rendered. Call it outside any transaction: it renders.
    """
    notice = sheet_notice(actor.user, notice_id)
    sheet = current_sheet(notice, timeout=timeout)
    data = {"content_hash": sheet.content_hash, "sha256": sheet.sha256, "pages": sheet.page_count}
    _audit(actor, AuditAction.RECORD_SHEET_DOWNLOADED, notice, notice.pk, data)
    return sheet


def archive_download(
    actor: Actor, record: ArchivedRecord, *, what: str, attachment_id: int | None = None
) -> None:
    """Audit one download of the sealed record (``record.pdf``) or of an attachment."""
    data: dict[str, Any] = {"archival_code": record.archival_code, "what": what}
    if attachment_id is not None:
        data["attachment"] = attachment_id
    _audit(actor, AuditAction.ARCHIVE_DOWNLOADED, record, record.notice_id, data)
