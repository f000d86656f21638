"""What is sealed about an archive record: the file path, and a hash over the row's fields.

``row_sha256`` covers every field that the catalogue and the sealed file depend on; it is stored on
the row and in the ``notice.archived`` audit event (which the hash chain protects), so a row edited
around the database trigger is detected by ``verify_record`` even when its file is untouched.
``open_verified`` serves a sealed file or archived attachment from one read that is also hashed.
"""

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import IO, Any

from circulation.archive import sm3
from circulation.archive.models import ArchivedRecord
from circulation.records.models import Attachment

logger = logging.getLogger(__name__)

SEALED_FIELDS = (
    "archival_code",
    "fonds_code",
    "category",
    "year",
    "retention",
    "unit_code",
    "item_no",
    "doc_number",
    "title",
    "issuer",
    "date_is_receipt",
    "secrecy",
    "remarks",
    "page_count",
    "record_sha256",
    "record_size",
    "rendition_sha256",
    "attachments",
)


def sealed_path(fonds: str, year: int, archival_code: str) -> str:
    """``archive/<fonds>/<year>/<archival_code>.pdf`` under MEDIA_ROOT."""
    return f"archive/{fonds}/{year}/{archival_code}.pdf"


def sealed_sheet_path(fonds: str, year: int, archival_code: str) -> str:
    """The 处理笺 beside the record: ``archive/<fonds>/<year>/<档号>.handling-sheet.pdf``."""
    return f"archive/{fonds}/{year}/{archival_code}.handling-sheet.pdf"


def row_payload(record: ArchivedRecord) -> dict[str, Any]:
    payload: dict[str, Any] = {name: getattr(record, name) for name in SEALED_FIELDS}
    payload["notice"] = record.notice_id
    payload["organisation"] = record.organisation_id
    payload["unit"] = record.unit_id
    payload["issued_on"] = record.issued_on.isoformat()
    payload["file"] = record.file.name
    payload["archived_at"] = record.archived_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload["archived_by"] = record.archived_by_id
    # Added with the signatures: in the payload only when set, so a row sealed before still has
    # the hash it was sealed with.
    if record.record_sm3:
        payload["record_sm3"] = record.record_sm3
    if record.signature:
        payload["signature"] = record.signature
    # The 处理笺 of a 批办 notice: only when one was sealed (a 阅知 row keeps its hash).
    if record.sheet_file:
        payload["sheet_file"] = record.sheet_file.name
        payload["sheet_sha256"] = record.sheet_sha256
        payload["sheet_sm3"] = record.sheet_sm3
        payload["sheet_size"] = record.sheet_size
        payload["sheet_signature"] = record.sheet_signature
    return payload


def row_hash(record: ArchivedRecord) -> str:
    text = json.dumps(
        row_payload(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(stream: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in stream:
        digest.update(chunk)
    return digest.hexdigest()


def file_digests(stream: Iterable[bytes]) -> tuple[str, str]:
    """SHA-256 and SM3 of a stream, in one pass."""
    sha, sm = hashlib.sha256(), sm3.new()
    for chunk in stream:
        sha.update(chunk)
        sm.update(chunk)
    return sha.hexdigest(), sm.hexdigest()


def attachment_digests(attachment: Attachment) -> tuple[str, str] | None:
    """SHA-256 and SM3 of the attachment's file as it is on disk now (None when missing)."""
    try:
        with attachment.file.open("rb") as handle:
            return file_digests(iter(lambda: handle.read(1 << 20), b""))
    except (FileNotFoundError, ValueError):
        return None


def attachment_sha256(attachment: Attachment) -> str | None:
    """The SHA-256 of the attachment's file as it is on disk now (None when it is missing)."""
    try:
        with attachment.file.open("rb") as handle:
            return file_sha256(iter(lambda: handle.read(1 << 20), b""))
    except (FileNotFoundError, ValueError):
        return None


# --- serving what was sealed ------------------------------------------------------------------

# Files up to this size are read into memory once, hashed, and only then answered (a mismatch is a
# clean 409); larger ones are hashed while they stream, the last chunk held back until the hash
# matched (a mismatch then breaks the response short of its Content-Length: the client never has
# a complete altered file). Either way what is hashed is what is sent: one read.
IN_MEMORY_MAX_BYTES = 16 << 20
STREAM_CHUNK = 1 << 20


class SealedFileAltered(Exception):
    """A sealed file (or an archived attachment) no longer matches its sealed SHA-256 or size."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.label = label
        self.reason = reason


@dataclass(frozen=True)
class VerifiedContent:
    size: int
    chunks: Iterator[bytes]


def _refused(label: str, reason: str) -> SealedFileAltered:
    logger.error("download refused, %s does not match what was sealed: %s", label, reason)
    return SealedFileAltered(label, reason)


def _stream_checked(handle: IO[bytes], expected: str, label: str) -> Iterator[bytes]:
    digest = hashlib.sha256()
    held: bytes | None = None
    try:
        for chunk in iter(lambda: handle.read(STREAM_CHUNK), b""):
            digest.update(chunk)
            if held is not None:
                yield held
            held = chunk
        actual = digest.hexdigest()
        if actual != expected:
            raise _refused(label, f"SHA-256 {actual} while streaming, sealed {expected}")
        if held is not None:
            yield held
    finally:
        handle.close()


def open_verified(
    open_file: Callable[[], IO[bytes]], *, sha256: str, size: int | None, label: str
) -> VerifiedContent:
    """The file's bytes, from one read, checked against ``sha256`` (and ``size`` when known).

    Raises :class:`SealedFileAltered` (logged) before anything is sent when the size differs, the
    file is missing, or (up to :data:`IN_MEMORY_MAX_BYTES`) the hash differs.
    """
    try:
        handle = open_file()
    except (FileNotFoundError, ValueError) as exc:
        raise _refused(label, f"missing ({exc})") from exc
    try:
        actual_size = os.fstat(handle.fileno()).st_size
        if size is not None and actual_size != size:
            raise _refused(label, f"{actual_size} bytes, sealed {size}")
        if actual_size > IN_MEMORY_MAX_BYTES:
            return VerifiedContent(actual_size, _stream_checked(handle, sha256, label))
        data = handle.read()
    except BaseException:
        handle.close()
        raise
    handle.close()
    actual = bytes_sha256(data)
    if actual != sha256 or (size is not None and len(data) != size):
        raise _refused(label, f"SHA-256 {actual}, sealed {sha256}")
    return VerifiedContent(len(data), iter([data]))


def verify_sealed_file(record: ArchivedRecord) -> bool:
    """Does the sealed file still have its sealed size and SHA-256?"""
    try:
        with record.file.storage.open(record.file.name, "rb") as handle:
            actual = file_sha256(iter(lambda: handle.read(STREAM_CHUNK), b""))
    except (FileNotFoundError, ValueError):
        return False
    return actual == record.record_sha256
