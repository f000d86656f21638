"""The sealed record's data against the database: the ``record.json`` embedded in the sealed PDF
holds every acknowledgement (state, times, 学习体会, return reason …) and every attachment's hash
as they were when the notice was archived; :func:`compare_sealed_data` names each difference with
the database now (which recipient or attachment, which field), for ``verify_record``.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf

from circulation.ackrecord.data import RecordData, collect_record_data, content_hash

RECORD_JSON = "record.json"

RECIPIENT_FIELDS = {
    "state": ("状态", "state"),
    "unit": ("所在机构", "unit"),
    "round": ("传阅轮次", "round"),
    "due_at": ("办理时限", "due time"),
    "opened_at": ("首次打开时间", "opened at"),
    "confirmed_at": ("确认时间", "confirmed at"),
    "confirm_method": ("确认方式", "confirmation method"),
    "comment": ("学习体会", "comment"),
    "reminders": ("催办次数", "reminders"),
    "escalations": ("升级次数", "escalations"),
    "returned_at": ("退回时间", "returned at"),
    "return_reason": ("退回原因", "return reason"),
    "cancelled_at": ("取消时间", "cancelled at"),
}
ATTACHMENT_FIELDS = {
    "sha256": ("SHA-256", "SHA-256"),
    "name": ("文件名", "name"),
    "size": ("大小", "size"),
    "content_type": ("内容类型", "content type"),
}


@dataclass(frozen=True)
class Difference:
    """One field of one recipient or attachment that differs (``field`` empty: the whole row)."""

    code: str
    subject: str
    field: str
    message: str
    message_en: str


def sealed_record_data(pdf_path_or_stream: Any) -> dict[str, Any] | None:
    """The ``record`` part of the ``record.json`` embedded in a sealed PDF (None when absent or
    unreadable). Only that one embedded file is decoded."""
    try:
        with pikepdf.open(pdf_path_or_stream) as pdf:
            spec = pdf.attachments.get(RECORD_JSON)
            if spec is None:
                return None
            raw = spec.get_file().read_bytes()
    except (pikepdf.PdfError, OSError, ValueError):
        return None
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    record = envelope.get("record") if isinstance(envelope, dict) else None
    return record if isinstance(record, dict) else None


def _recipients(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for group in data.get("units") or []:
        for row in group.get("recipients") or []:
            person = row.get("person") or {}
            rows[str(person.get("username", "?"))] = row
    return rows


def _attachments(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(a.get("id")): a for a in data.get("attachments") or [] if isinstance(a, dict)}


def _show(value: Any) -> str:
    text = "（空）" if value in (None, "") else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _rows(
    kind: str, sealed: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]], fields: Any
) -> Iterator[Difference]:
    zh_kind, en_kind = ("接收人", "Recipient") if kind == "recipient" else ("附件", "Attachment")
    for key, row in sealed.items():
        current = now.get(key)
        label = f"{zh_kind} {key}" if kind == "recipient" else f"{zh_kind}“{row.get('name')}”"
        label_en = f"{en_kind} {key}" if kind == "recipient" else f"{en_kind} {row.get('name')!r}"
        if current is None:
            yield Difference(
                f"{kind}_removed",
                key,
                "",
                f"{label}在归档的确认单中，但数据库中已没有",
                f"{label_en} is in the sealed record but no longer in the database",
            )
            continue
        for name, (zh, en) in fields.items():
            if row.get(name) != current.get(name):
                yield Difference(
                    f"{kind}_changed",
                    key,
                    name,
                    f"{label}的{zh}与归档时不符：归档为 {_show(row.get(name))}，"
                    f"数据库为 {_show(current.get(name))}",
                    f"{label_en}: {en} differs from the sealed record (sealed "
                    f"{_show(row.get(name))!r}, database {_show(current.get(name))!r})",
                )
    for key in now.keys() - sealed.keys():
        row = now[key]
        label = f"{zh_kind} {key}" if kind == "recipient" else f"{zh_kind}“{row.get('name')}”"
        label_en = f"{en_kind} {key}" if kind == "recipient" else f"{en_kind} {row.get('name')!r}"
        yield Difference(
            f"{kind}_added",
            key,
            "",
            f"{label}在数据库中，但不在归档的确认单中",
            f"{label_en} is in the database but not in the sealed record",
        )


def compare_sealed_data(
    sealed: dict[str, Any], notice_id: int, *, now: RecordData | None = None
) -> list[Difference]:
    """Every difference between the sealed record data and the database's data now (``now``:
    that data when the caller read it already, e.g. for a batch of records)."""
    if now is None:
        now = collect_record_data(notice_id)
    differences = [
        *_rows("recipient", _recipients(sealed), _recipients(now), RECIPIENT_FIELDS),
        *_rows("attachment", _attachments(sealed), _attachments(now), ATTACHMENT_FIELDS),
    ]
    if not differences and content_hash(sealed) != content_hash(now):
        differences.append(
            Difference(
                "record_data_changed",
                "",
                "",
                "收文或传阅记录的数据与归档的确认单不符",
                "The notice's or the circulation's data differs from the sealed record",
            )
        )
    return differences
