"""What is sealed about an archive record: the file path, and a hash over the row's fields.

``row_sha256`` covers every field that the catalogue and the sealed file depend on; it is stored on
the row and in the ``notice.archived`` audit event (which the hash chain protects), so a row edited
around the database trigger is detected by ``verify_record`` even when its file is untouched.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from circulation.archive.models import ArchivedRecord
from circulation.records.models import Attachment

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


def row_payload(record: ArchivedRecord) -> dict[str, Any]:
    payload: dict[str, Any] = {name: getattr(record, name) for name in SEALED_FIELDS}
    payload["notice"] = record.notice_id
    payload["organisation"] = record.organisation_id
    payload["unit"] = record.unit_id
    payload["issued_on"] = record.issued_on.isoformat()
    payload["file"] = record.file.name
    payload["archived_at"] = record.archived_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload["archived_by"] = record.archived_by_id
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


def attachment_sha256(attachment: Attachment) -> str | None:
    """The SHA-256 of the attachment's file as it is on disk now (None when it is missing)."""
    try:
        with attachment.file.open("rb") as handle:
            return file_sha256(iter(lambda: handle.read(1 << 20), b""))
    except (FileNotFoundError, ValueError):
        return None
