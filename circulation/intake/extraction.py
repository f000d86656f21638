"""Intake: a file (TXT, DOCX, PDF, OFD) or pasted text → the notice's registration fields.

Pure: nothing is saved. :func:`extract_file` and :func:`extract_text` return an
:class:`Extraction` — each field with its confidence and source line, what is missing (a
document without 文号 or title is still a draft the clerk completes), warnings, and the fields
shaped as :class:`workflows.services.registration.NoticeInput` takes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from circulation.intake.errors import IntakeError
from circulation.intake.layout import LOW, Found, UnitRef, extract_fields
from circulation.intake.readers import ReadDocument, read_document, read_pasted, split_lines
from circulation.records import validation as rules
from circulation.records.errors import DomainError

MAX_PASTED_CHARS = rules.BODY.max_length + 20_000
"""Pasted text: the longest body plus room for the 版头 and 版记."""

REQUIRED = (
    ("doc_number", "发文字号", "document number"),
    ("title", "标题", "title"),
    ("issuer", "发文机关", "issuing organisation"),
)
ONE_LINE_LIMITS = {
    "doc_number": rules.DOC_NUMBER.max_length,
    "title": rules.TITLE.max_length,
    "issuer": rules.ISSUER.max_length,
    "doc_type": rules.DOC_TYPE.max_length,
    "addressees": rules.ADDRESSEES.max_length,
}


@dataclass
class Extraction:
    name: str
    document: ReadDocument
    fields: dict[str, Found]
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def missing(self) -> list[dict[str, str]]:
        return [
            {
                "field": key,
                "message": f"未能从文件中识别{zh}，请手工填写",
                "message_en": f"No {en} was found in the document; please fill it in",
            }
            for key, zh, en in REQUIRED
            if self.fields.get(key) is None or self.fields[key].value in (None, "")
        ]

    @property
    def complete(self) -> bool:
        return not self.missing

    def value(self, key: str, default: Any = None) -> Any:
        found = self.fields.get(key)
        return default if found is None or found.value is None else found.value

    def notice_data(self) -> dict[str, Any]:
        """The fields as the register API and ``NoticeInput`` take them (found ones only)."""
        data: dict[str, Any] = {}
        original = self.fields.get("doc_number")
        if original is not None and original.value:
            data["doc_number"] = original.extra.get("original") or original.value
        for key in ("title", "issuer", "doc_type", "addressees", "secrecy", "urgency", "body"):
            if self.value(key) not in (None, ""):
                data[key] = self.value(key)
        issued: date | None = self.value("issued_on")
        if issued is not None:
            data["issued_on"] = issued
        if self.value("forwards"):
            data["forwards"] = list(self.value("forwards"))[: rules.MAX_FORWARDED_TITLES]
        return data

    def as_dict(self) -> dict[str, Any]:
        notice = self.notice_data()
        if "issued_on" in notice:
            notice["issued_on"] = notice["issued_on"].isoformat()
        return {
            "source": {
                "name": self.name,
                "format": self.document.format,
                "encoding": self.document.encoding or None,
                "pages": self.document.pages,
                "lines": len(self.document.lines),
            },
            "fields": {key: found.as_dict() for key, found in self.fields.items()},
            "missing": self.missing,
            "complete": self.complete,
            "warnings": self.warnings,
            "notice": notice,
        }


def extract_file(
    name: str, data: bytes, *, max_bytes: int, units: list[UnitRef] | None = None
) -> Extraction:
    """Read ``data`` (its format decided by content) and extract the fields."""
    document = read_document(name, data, max_bytes)
    return _extract(name, document, units)


def extract_text(text: str, *, units: list[UnitRef] | None = None) -> Extraction:
    """Extract the fields from pasted text."""
    if not text.strip():
        raise IntakeError(
            "empty", "请粘贴公文的文字内容", "Please paste the document's text", field="text"
        )
    if len(text) > MAX_PASTED_CHARS:
        raise IntakeError(
            "too_long",
            f"粘贴的文字过长（{len(text):,} 个字符，最多 {MAX_PASTED_CHARS:,} 个）",
            f"The pasted text is too long ({len(text):,} characters; at most {MAX_PASTED_CHARS:,})",
            field="text",
        )
    try:
        rules.refuse_control_characters(
            split_lines_text(text), field="text", name_zh="粘贴的文字", name_en="pasted text",
            multiline=True,
        )  # fmt: skip
    except DomainError as error:
        raise IntakeError(error.code, error.message, error.message_en, field="text") from error
    return _extract("", read_pasted(text), units)


def split_lines_text(text: str) -> str:
    return "\n".join(split_lines(text))


def _extract(name: str, document: ReadDocument, units: list[UnitRef] | None) -> Extraction:
    warnings: list[dict[str, str]] = []
    lines, removed = strip_controls(document.lines)
    if removed:
        warnings.append(
            {
                "field": "file",
                "code": "control_characters_removed",
                "message": f"已去掉文件中的 {removed} 个控制字符",
                "message_en": f"Removed {removed} control characters from the document",
            }
        )
    fields = extract_fields(lines, units)
    for key, limit in ONE_LINE_LIMITS.items():
        found = fields.get(key)
        if found is not None and isinstance(found.value, str) and len(found.value) > limit:
            found.value = found.value[:limit]
            found.confidence = LOW
            warnings.append(_warning(key, f"超过 {limit} 个字符，已截断", f"cut to {limit}"))
    body = fields.get("body")
    if body is not None and len(body.value) > rules.BODY.max_length:
        body.value = body.value[: rules.BODY.max_length]
        warnings.append(
            _warning("body", f"正文超过 {rules.BODY.max_length:,} 个字符，已截断", "body cut")
        )
    issued = fields.get("issued_on")
    if issued is not None:
        try:
            rules.clean_issued_on(issued.value)
        except Exception as error:  # InvalidInput: out of the accepted range
            warnings.append(
                {
                    "field": "issued_on",
                    "code": "out_of_range",
                    "message": f"成文日期{issued.value.isoformat()}不在可登记的范围内："
                    f"{getattr(error, 'message', '')}",
                    "message_en": f"The date of issue {issued.value.isoformat()} cannot be "
                    f"registered: {getattr(error, 'message_en', '')}",
                }
            )
            del fields["issued_on"]
    secrecy = fields.get("secrecy")
    if secrecy is not None and secrecy.value not in ("public", "internal"):
        warnings.append(
            {
                "field": "secrecy",
                "code": "classified",
                "message": "文件标有密级（秘密/机密/绝密），不得在本系统登记和传阅",
                "message_en": "The document is marked classified and cannot be registered here",
            }
        )
    return Extraction(name=name, document=document, fields=fields, warnings=warnings)


_CONTROLS = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]"
)


def strip_controls(lines: list[str]) -> tuple[list[str], int]:
    """Lines without control, bidi-override and surrogate characters, and how many went."""
    removed = 0
    cleaned = []
    for line in lines:
        new, count = _CONTROLS.subn("", line)
        cleaned.append(new)
        removed += count
    return cleaned, removed


def _warning(key: str, zh: str, en: str) -> dict[str, str]:
    return {"field": key, "code": "truncated", "message": zh, "message_en": en}
