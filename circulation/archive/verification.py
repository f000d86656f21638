"""Fixity check of one sealed record: the file's SHA-256 and SM3, the row's hash, the audit event
that sealed them, every attachment's file (SHA-256 and SM3), the database's acknowledgements and
attachments against the ``record.json`` sealed in the file, and the organisation's PAdES signature
(``signature_check``: intact, nothing appended, trusted, signing time, time-stamp) — ``GET
…/verify/``, the QR verify page and ``manage.py verify_archive``.

The result keeps its shape (``ok``, ``sha256``, ``checked_at``, ``problems``: the failures) and
adds ``checks`` (every check, passed or not, each with its code and message in both languages),
``sm3`` and ``signature`` ({ok, signer, signed_at, timestamped, message…}; None for a record that
was archived unsigned).
"""

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509
from django.utils import timezone

from circulation.ackrecord.data import RecordData, collect_records_data
from circulation.archive import sm3
from circulation.archive.models import ArchivedRecord
from circulation.archive.seal import SealConfigurationError, trust_roots
from circulation.archive.sealed_data import compare_sealed_data, sealed_record_data
from circulation.archive.sealing import attachment_digests, row_hash
from circulation.archive.signature_check import CheckLine, validate_signature
from circulation.records.audit import event_hash
from circulation.records.models import Attachment, AuditAction, AuditEvent


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
    checks: list[CheckLine] = field(default_factory=list)
    sm3: str | None = None
    signature: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sha256": self.sha256,
            "checked_at": self.checked_at,
            "problems": [p.as_dict() for p in self.problems],
            "checks": [c.as_dict() for c in self.checks],
            "sm3": self.sm3,
            "signature": self.signature,
        }


def _read(record: ArchivedRecord, name: str | None = None) -> bytes | None:
    try:
        with record.file.storage.open(name or record.file.name, "rb") as handle:
            data: bytes = handle.read()
    except (FileNotFoundError, ValueError):
        return None
    return data


def _line(checks: list[CheckLine], code: str, ok: bool, zh: str, en: str) -> None:
    checks.append(CheckLine(code, ok, zh, en))


def _archiving_events(notice_ids: list[int]) -> dict[int, AuditEvent]:
    """The newest ``notice.archived`` event of each notice, in one query."""
    events = (
        AuditEvent.objects.filter(notice_id__in=notice_ids, action=AuditAction.NOTICE_ARCHIVED)
        .order_by("notice_id", "-seq")
        .distinct("notice_id")
    )
    return {event.notice_id: event for event in events if event.notice_id is not None}


def _check_event(
    record: ArchivedRecord,
    computed_row_hash: str,
    problems: list[Problem],
    event: AuditEvent | None,
) -> None:
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


def _attachment_entries(record: ArchivedRecord) -> list[Any]:
    return record.attachments if isinstance(record.attachments, list) else []


def _check_attachments(
    record: ArchivedRecord, problems: list[Problem], rows: dict[Any, Attachment]
) -> None:
    entries = _attachment_entries(record)
    for entry in entries:
        attachment = rows.get(entry.get("id")) if isinstance(entry, dict) else None
        name = entry.get("name", "?") if isinstance(entry, dict) else "?"
        if attachment is None:
            problems.append(
                Problem("attachment_missing", f"附件“{name}”记录缺失", f"Attachment {name!r} gone")
            )
            continue
        digests = attachment_digests(attachment)
        if digests is None:
            problems.append(
                Problem(
                    "attachment_missing", f"附件“{name}”文件缺失", f"Attachment {name!r}: no file"
                )
            )
            continue
        actual, actual_sm3 = digests
        if actual != entry.get("sha256") or attachment.sha256 != entry.get("sha256"):
            problems.append(
                Problem(
                    "attachment_altered",
                    f"附件“{name}”的 SHA-256 与归档时不符",
                    f"Attachment {name!r}: SHA-256 differs from the sealed one",
                )
            )
        if entry.get("sm3") and actual_sm3 != entry["sm3"]:
            problems.append(
                Problem(
                    "attachment_sm3_altered",
                    f"附件“{name}”的 SM3 与归档时不符",
                    f"Attachment {name!r}: SM3 differs from the sealed one",
                )
            )


def _check_sealed_data(
    record: ArchivedRecord, data: bytes, problems: list[Problem], now: RecordData | None
) -> None:
    """The acknowledgements and attachments in the database against the sealed ``record.json``
    (only for an unaltered file: an altered one is reported already and proves nothing)."""
    sealed = sealed_record_data(io.BytesIO(data))
    if sealed is None:
        problems.append(
            Problem(
                "sealed_data_missing",
                "归档文件中读不出 record.json",
                "No readable record.json in the sealed file",
            )
        )
        return
    for diff in compare_sealed_data(sealed, record.notice_id, now=now):
        problems.append(Problem(diff.code, diff.message, diff.message_en, diff.subject, diff.field))


def _check_signature(
    record: ArchivedRecord,
    data: bytes,
    problems: list[Problem],
    checks: list[CheckLine],
    roots: list[x509.Certificate] | SealConfigurationError,
) -> dict[str, Any] | None:
    """The PAdES signature: each of its checks a line; failures are problems too. A record that
    was archived unsigned (no seal configured then) says so and has no ``signature``."""
    trusted: list[x509.Certificate] = []
    if isinstance(roots, SealConfigurationError):
        problems.append(
            Problem("trust_roots_unreadable", str(roots), str(roots), field="signature")
        )
    else:
        trusted = roots
    report = validate_signature(
        data, trusted, expected=record.signature, archived_at=record.archived_at
    )
    if not record.signature and not report.present:
        _line(
            checks,
            "signature",
            True,
            "归档时未签名（当时未配置电子印章证书）",
            "Archived unsigned (no seal certificate was configured then)",
        )
        return None
    for line in report.lines:
        _line(checks, line.code, line.ok, line.message, line.message_en)
        if not line.ok:
            problems.append(Problem(line.code, line.message, line.message_en, field="signature"))
    if not record.signature and report.present:
        problems.append(
            Problem(
                "signature_unexpected",
                "归档时未签名，现在文件中却有签名（文件被替换）",
                "Archived unsigned, yet the file now carries a signature (file replaced)",
                field="signature",
            )
        )
    return report.summary()


def _check_sheet(
    record: ArchivedRecord,
    problems: list[Problem],
    checks: list[CheckLine],
    roots: list[x509.Certificate] | SealConfigurationError,
) -> None:
    """The sealed 处理笺 of a 批办 notice, like the record: SHA-256, SM3 and the signature."""
    data = _read(record, record.sheet_file.name)
    if data is None:
        problems.append(
            Problem(
                "sheet_missing",
                "处理笺文件缺失",
                f"The sealed handling sheet (处理笺) is missing: {record.sheet_file.name}",
                field="sheet",
            )
        )
        _line(checks, "sheet_sha256", False, "处理笺文件缺失", "The handling sheet is missing")
        return
    same = (
        hashlib.sha256(data).hexdigest() == record.sheet_sha256
        and sm3.sm3_hex(data) == record.sheet_sm3
    )
    _line(
        checks,
        "sheet_sha256",
        same,
        "处理笺 SHA-256、SM3 与归档时一致" if same else "处理笺 SHA-256、SM3 与归档时不符",
        "The handling sheet's SHA-256 and SM3 match the sealed ones"
        if same
        else "The handling sheet's SHA-256 and SM3 differ from the sealed ones",
    )
    if not same:
        problems.append(
            Problem(
                "sheet_altered",
                "处理笺的 SHA-256 或 SM3 与归档时不符（文件被改动）",
                "The sealed handling sheet (处理笺) differs from its sealed hashes (file altered)",
                field="sheet",
            )
        )
    trusted = roots if not isinstance(roots, SealConfigurationError) else []
    report = validate_signature(
        data, trusted, expected=record.sheet_signature, archived_at=record.archived_at
    )
    if not record.sheet_signature and not report.present:
        _line(checks, "sheet_signature", True, "处理笺归档时未签名", "Handling sheet unsigned")
        return
    for line in report.lines:
        _line(
            checks,
            f"sheet_{line.code}",
            line.ok,
            f"处理笺：{line.message}",
            f"Handling sheet: {line.message_en}",
        )
        if not line.ok:
            problems.append(
                Problem(
                    f"sheet_{line.code}",
                    f"处理笺：{line.message}",
                    f"Handling sheet (处理笺): {line.message_en}",
                    field="sheet",
                )
            )
    if not record.sheet_signature and report.present:
        problems.append(
            Problem(
                "sheet_signature_unexpected",
                "处理笺归档时未签名，现在文件中却有签名（文件被替换）",
                "The handling sheet was archived unsigned, yet now carries a signature",
                field="sheet",
            )
        )


@dataclass
class _Batch:
    """What verifying a batch of records reads from the database, in a fixed number of queries
    for any batch size (:data:`BATCH_QUERIES`): the archiving events, the attachments' rows, the
    records' data now; and the trust roots, read once."""

    events: dict[int, AuditEvent]
    attachments: dict[Any, Attachment]
    data: dict[int, RecordData]
    roots: list[x509.Certificate] | SealConfigurationError

    @classmethod
    def read(cls, records: Sequence[ArchivedRecord]) -> "_Batch":
        notice_ids = [record.notice_id for record in records]
        ids = [
            entry.get("id")
            for record in records
            for entry in _attachment_entries(record)
            if isinstance(entry, dict)
        ]
        try:
            roots: list[x509.Certificate] | SealConfigurationError = trust_roots()
        except SealConfigurationError as exc:
            roots = exc
        return cls(
            events=_archiving_events(notice_ids),
            attachments=Attachment.objects.in_bulk(ids),
            data=collect_records_data(notice_ids),
            roots=roots,
        )


# Queries per batch: the archiving events (1), the attachments (1), the record data (6).
BATCH_QUERIES = 8


def verify_records(records: Sequence[ArchivedRecord]) -> list[VerifyResult]:
    """:func:`verify_record` of many records, reading the database once per batch
    (:data:`BATCH_QUERIES` statements, whatever the number of records and recipients)."""
    if not records:
        return []
    batch = _Batch.read(records)
    return [_verify(record, batch) for record in records]


def verify_record(record: ArchivedRecord) -> VerifyResult:
    """Recompute the sealed file's and the attachments' hashes and compare with what was sealed;
    validate the file's signature; compare the data sealed in the file with the database."""
    return verify_records([record])[0]


def _verify(record: ArchivedRecord, batch: _Batch) -> VerifyResult:
    problems: list[Problem] = []
    checks: list[CheckLine] = []
    data = _read(record)
    actual = hashlib.sha256(data).hexdigest() if data is not None else None
    actual_sm3 = sm3.sm3_hex(data) if data is not None else None
    if data is None:
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
    if data is not None:
        same = actual == record.record_sha256
        _line(
            checks,
            "sha256",
            same,
            "归档文件 SHA-256 与归档时一致" if same else "归档文件 SHA-256 与归档时不符",
            "The file's SHA-256 matches the sealed one"
            if same
            else "The file's SHA-256 differs from the sealed one",
        )
    if data is not None and record.record_sm3:
        same = actual_sm3 == record.record_sm3
        _line(
            checks,
            "sm3",
            same,
            "归档文件 SM3 与归档时一致" if same else "归档文件 SM3 与归档时不符（文件被改动）",
            "The file's SM3 matches the sealed one"
            if same
            else "The file's SM3 differs from the sealed one (file altered)",
        )
        if not same and actual == record.record_sha256:  # else file_altered says it already
            problems.append(
                Problem(
                    "sm3_altered",
                    "归档文件的 SM3 与记录不符（文件被改动）",
                    "The sealed file's SM3 differs from the record (file altered)",
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
    before = len(problems)
    _check_event(record, computed, problems, batch.events.get(record.notice_id))
    ok = len(problems) == before and computed == record.row_sha256
    _line(
        checks,
        "row_and_audit",
        ok,
        "归档记录与归档审计事件一致" if ok else "归档记录或归档审计事件被改动",
        "The archive row matches the archiving audit event"
        if ok
        else "The archive row or its audit event was altered",
    )
    before = len(problems)
    _check_attachments(record, problems, batch.attachments)
    ok = len(problems) == before
    _line(
        checks,
        "attachments",
        ok,
        "全部附件的 SHA-256、SM3 与归档时一致" if ok else "有附件缺失或与归档时不符",
        "Every attachment's SHA-256 and SM3 match the sealed ones"
        if ok
        else "An attachment is missing or differs from the sealed one",
    )
    signature = None
    if data is not None:
        signature = _check_signature(record, data, problems, checks, batch.roots)
    if record.sheet_file:
        _check_sheet(record, problems, checks, batch.roots)
    if data is not None and actual == record.record_sha256:
        before = len(problems)
        _check_sealed_data(record, data, problems, batch.data.get(record.notice_id))
        ok = len(problems) == before
        _line(
            checks,
            "sealed_data",
            ok,
            "数据库中的阅知记录与归档文件内封存的一致" if ok else "数据库中的阅知记录与封存的不符",
            "The acknowledgements in the database match those sealed in the file"
            if ok
            else "The acknowledgements in the database differ from those sealed in the file",
        )
    return VerifyResult(
        not problems, actual, timezone.now(), problems, checks, actual_sm3, signature
    )
