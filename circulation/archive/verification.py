"""Fixity check of one sealed record: the file's SHA-256, the row's hash, the audit event that
sealed them, every attachment's file, and the database's acknowledgements and attachments against
the ``record.json`` sealed in the file (``GET …/verify/`` and ``manage.py verify_archive``)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from circulation.archive.models import ArchivedRecord
from circulation.archive.sealed_data import compare_sealed_data, sealed_record_data
from circulation.archive.sealing import attachment_sha256, file_sha256, row_hash
from circulation.records.models import Attachment, AuditEvent
from workflows.services.audit import event_hash


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    message_en: str
    subject: str = ""  # e.g. the recipient's username or the attachment's id
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.subject:
            body["subject"] = self.subject
        if self.field:
            body["field"] = self.field
        return body

    def __str__(self) -> str:
        return f"{self.code}: {self.message} / {self.message_en}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    sha256: str | None
    checked_at: datetime
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sha256": self.sha256,
            "checked_at": self.checked_at,
            "problems": [p.as_dict() for p in self.problems],
        }


def _file_hash(record: ArchivedRecord) -> str | None:
    try:
        with record.file.storage.open(record.file.name, "rb") as handle:
            return file_sha256(iter(lambda: handle.read(1 << 20), b""))
    except (FileNotFoundError, ValueError):
        return None


def _check_event(record: ArchivedRecord, computed_row_hash: str, problems: list[Problem]) -> None:
    event = (
        AuditEvent.objects.filter(notice_id=record.notice_id, action="notice.archived")
        .order_by("-seq")
        .first()
    )
    if event is None:
        problems.append(Problem("audit_missing", "缺少归档审计事件", "No notice.archived event"))
        return
    data = event.data or {}
    if event_hash(event) != event.hash:
        problems.append(
            Problem(
                "audit_altered", "归档审计事件已被修改", "The archiving audit event was altered"
            )
        )
    if data.get("archival_code") != record.archival_code:
        problems.append(
            Problem(
                "code_mismatch", "档号与归档审计事件不符", "Archival code differs from the event"
            )
        )
    if data.get("sha256") != record.record_sha256:
        problems.append(
            Problem(
                "row_sha256_changed",
                "记录中的 SHA-256 与归档时不符（数据库记录被改动）",
                "The row's SHA-256 differs from the one sealed in the audit log",
            )
        )
    if data.get("row_sha256") != computed_row_hash:
        problems.append(
            Problem(
                "row_changed",
                "归档记录的数据与归档时不符（数据库记录被改动）",
                "The archive row's data differs from what was sealed (row altered)",
            )
        )


def _check_attachments(record: ArchivedRecord, problems: list[Problem]) -> None:
    entries = record.attachments if isinstance(record.attachments, list) else []
    rows = Attachment.objects.in_bulk([e.get("id") for e in entries if isinstance(e, dict)])
    for entry in entries:
        attachment = rows.get(entry.get("id")) if isinstance(entry, dict) else None
        name = entry.get("name", "?") if isinstance(entry, dict) else "?"
        if attachment is None:
            problems.append(
                Problem("attachment_missing", f"附件“{name}”记录缺失", f"Attachment {name!r} gone")
            )
            continue
        actual = attachment_sha256(attachment)
        if actual is None:
            problems.append(
                Problem(
                    "attachment_missing", f"附件“{name}”文件缺失", f"Attachment {name!r}: no file"
                )
            )
        elif actual != entry.get("sha256") or attachment.sha256 != entry.get("sha256"):
            problems.append(
                Problem(
                    "attachment_altered",
                    f"附件“{name}”的 SHA-256 与归档时不符",
                    f"Attachment {name!r}: SHA-256 differs from the sealed one",
                )
            )


def _check_sealed_data(record: ArchivedRecord, problems: list[Problem]) -> None:
    """The acknowledgements and attachments in the database against the sealed ``record.json``
    (only for an unaltered file: an altered one is reported already and proves nothing)."""
    try:
        with record.file.storage.open(record.file.name, "rb") as handle:
            sealed = sealed_record_data(handle)
    except (FileNotFoundError, ValueError):
        return
    if sealed is None:
        problems.append(
            Problem(
                "sealed_data_missing",
                "归档文件中读不出 record.json",
                "No readable record.json in the sealed file",
            )
        )
        return
    for diff in compare_sealed_data(sealed, record.notice_id):
        problems.append(Problem(diff.code, diff.message, diff.message_en, diff.subject, diff.field))


def verify_record(record: ArchivedRecord) -> VerifyResult:
    """Recompute the sealed file's and the attachments' hashes and compare with what was sealed."""
    problems: list[Problem] = []
    actual = _file_hash(record)
    if actual is None:
        problems.append(
            Problem(
                "file_missing", "归档文件缺失", f"The sealed file is missing: {record.file.name}"
            )
        )
    elif actual != record.record_sha256:
        problems.append(
            Problem(
                "file_altered",
                "归档文件的 SHA-256 与记录不符（文件被改动）",
                "The sealed file's SHA-256 differs from the record (file altered)",
            )
        )
    computed = row_hash(record)
    if computed != record.row_sha256:
        problems.append(
            Problem(
                "row_hash_mismatch",
                "归档记录的数据哈希不符（数据库记录被改动）",
                "The archive row's hash does not match its data (row altered)",
            )
        )
    _check_event(record, computed, problems)
    _check_attachments(record, problems)
    if actual is not None and actual == record.record_sha256:
        _check_sealed_data(record, problems)
    return VerifyResult(not problems, actual, timezone.now(), problems)
