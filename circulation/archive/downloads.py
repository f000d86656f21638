"""Serving what the archive sealed: the stamped PDF of an archived notice (also through
``GET /api/v1/notices/{id}/record.pdf``: one record per archived notice) and archived attachments,
each from one read that is hashed as it is sent (``sealing.open_verified``)."""

from circulation.archive.models import ArchivedRecord
from circulation.archive.sealing import SealedFileAltered, VerifiedContent, open_verified
from circulation.records.errors import Conflict


def altered(what: str) -> Conflict:
    return Conflict(
        f"{what}的 SHA-256 与归档时不符，已拒绝下载，请运行完整性校验",
        f"The {what} no longer matches its sealed SHA-256; download refused (run verify)",
        code="file_altered",
    )


def sealed_record_of(notice_id: int) -> ArchivedRecord | None:
    """The notice's archive record, if it is archived."""
    return ArchivedRecord.objects.filter(notice_id=notice_id).first()


def open_sealed_record(record: ArchivedRecord) -> VerifiedContent:
    """The sealed PDF's bytes, checked against ``record_sha256`` while read (409 when altered)."""
    try:
        return open_verified(
            lambda: record.file.storage.open(record.file.name, "rb"),
            sha256=record.record_sha256,
            size=record.record_size,
            label=f"sealed record {record.archival_code}",
        )
    except SealedFileAltered as exc:
        raise altered("归档文件") from exc


def open_sealed_sheet(record: ArchivedRecord) -> VerifiedContent:
    """The sealed 处理笺's bytes, checked against ``sheet_sha256`` while read (409 when altered)."""
    try:
        return open_verified(
            lambda: record.sheet_file.storage.open(record.sheet_file.name, "rb"),
            sha256=record.sheet_sha256,
            size=record.sheet_size,
            label=f"sealed handling sheet {record.archival_code}",
        )
    except SealedFileAltered as exc:
        raise altered("处理笺") from exc
