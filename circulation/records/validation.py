"""Limits on what a person may type: text lengths, forbidden characters, date ranges.

Pure (no database). The API serializers, the services, the admin and the commands all check
through these functions, so every way in refuses the same input with the same bilingual
message naming the field. The limits are the domain rules listed in the README.

- Text: at most ``max_length`` characters after stripping; no control characters (C0, DEL, C1)
  except tab and line feed in fields that hold lines (a CR LF or lone CR becomes a line feed
  there); no bidirectional embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069),
  which make text display differently from what it is; no lone surrogates.
- 成文日期 (``issued_on``): from 1949-10-01 to one year after today.
- Deadlines (``due_at``): after now, at most two years ahead.
"""

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from circulation.records.errors import InvalidInput

if TYPE_CHECKING:  # registration imports this module
    from workflows.services.registration import NoticeInput


@dataclass(frozen=True)
class TextRule:
    field: str
    name_zh: str
    name_en: str
    max_length: int
    multiline: bool = False
    strip: bool = True  # the body keeps its leading 全角 indentation


DOC_NUMBER = TextRule("doc_number", "发文字号", "document number", 100)
TITLE = TextRule("title", "标题", "title", 300)
ISSUER = TextRule("issuer", "发文机关", "issuer", 200)
DOC_TYPE = TextRule("doc_type", "文种", "document type", 20)
ADDRESSEES = TextRule("addressees", "主送机关", "addressees", 300)
FORWARDED_TITLE = TextRule("forwards", "转发文件标题", "forwarded title", 300)
INSTRUCTION = TextRule("instruction", "传阅要求", "instruction", 2000, multiline=True)
BODY = TextRule("body", "正文", "body", 200_000, multiline=True, strip=False)
COMMENT = TextRule("comment", "学习体会", "comment", 2000, multiline=True)
REASON = TextRule("reason", "原因", "reason", 500, multiline=True)
MAX_FORWARDED_TITLES = 20

EARLIEST_ISSUED_ON = date(1949, 10, 1)
ISSUED_ON_AHEAD = timedelta(days=366)
DUE_AT_AHEAD = timedelta(days=2 * 366)

# C0 and C1 controls and DEL (Unicode category Cc), lone surrogates (Cs), bidi embeddings,
# overrides and isolates. Fields that hold lines also allow tab and line feed.
_FORBIDDEN = "\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff"
_FORBIDDEN_IN_LINES = re.compile(f"[{_FORBIDDEN}]")
_FORBIDDEN_IN_A_LINE = re.compile(f"[\\t\\n{_FORBIDDEN}]")


def refuse_control_characters(
    value: str, *, field: str, name_zh: str, name_en: str, multiline: bool = False
) -> None:
    """InvalidInput naming the field and the first forbidden character and its position."""
    found = (_FORBIDDEN_IN_LINES if multiline else _FORBIDDEN_IN_A_LINE).search(value)
    if found is None:
        return
    code_point, position = f"U+{ord(found.group()):04X}", found.start() + 1
    allowed_zh = "（只允许制表符和换行）" if multiline else "（不允许换行和制表符）"
    allowed_en = (
        " (only tab and line feed are allowed)" if multiline else " (no line breaks or tabs)"
    )
    raise InvalidInput(
        f"{name_zh}第 {position} 个字符是不允许的控制字符 {code_point}{allowed_zh}",
        f"The {name_en} contains a control character {code_point} at position "
        f"{position}{allowed_en}",
        code="control_character",
        field=field,
    )


def clean_text(
    value: str, rule: TextRule, *, required: bool = False, name_zh: str | None = None
) -> str:
    """``value`` stripped (line breaks normalised in multi-line fields), or InvalidInput."""
    name = name_zh or rule.name_zh
    if rule.multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if rule.strip:
        value = value.strip()
    if required and not value:
        raise InvalidInput(
            f"请填写{name}", f"A {rule.name_en} is required", code="required", field=rule.field
        )
    if len(value) > rule.max_length:
        raise InvalidInput(
            f"{name}不能超过 {rule.max_length} 个字符（现为 {len(value)} 个）",
            f"The {rule.name_en} may have at most {rule.max_length} characters "
            f"(it has {len(value)})",
            code="max_length",
            field=rule.field,
            extra={"max_length": rule.max_length},
        )
    refuse_control_characters(
        value, field=rule.field, name_zh=name, name_en=rule.name_en, multiline=rule.multiline
    )
    return value


def clean_titles(values: list[str], rule: TextRule = FORWARDED_TITLE) -> list[str]:
    """A short list of single-line texts (转发文件 titles), each checked, blanks dropped."""
    if len(values) > MAX_FORWARDED_TITLES:
        raise InvalidInput(
            f"{rule.name_zh}最多 {MAX_FORWARDED_TITLES} 项",
            f"At most {MAX_FORWARDED_TITLES} forwarded titles are allowed",
            code="max_length",
            field=rule.field,
        )
    return [text for text in (clean_text(value, rule) for value in values) if text]


def clean_reason(reason: str, what_zh: str = "原因") -> str:
    """A required, bounded free-text reason (退回/撤回原因), stripped."""
    return clean_text(reason, REASON, required=True, name_zh=what_zh)


def clean_issued_on(value: date | None, *, today: date | None = None) -> date | None:
    """成文日期: not before 1949-10-01, at most a year ahead (a typo such as 0001 or 9999
    would otherwise become the archive year)."""
    if value is None:
        return None
    today = today or timezone.localdate()
    latest = today + ISSUED_ON_AHEAD
    if not EARLIEST_ISSUED_ON <= value <= latest:
        raise InvalidInput(
            f"成文日期须在 {EARLIEST_ISSUED_ON:%Y-%m-%d} 至 {latest:%Y-%m-%d} 之间",
            f"issued_on must be between {EARLIEST_ISSUED_ON:%Y-%m-%d} and {latest:%Y-%m-%d}",
            code="out_of_range",
            field="issued_on",
        )
    return value


def clean_due_at(value: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """办理时限: in the future, at most two years ahead."""
    if value is None:
        return None
    now = now or timezone.now()
    if value <= now:
        raise InvalidInput(
            "办理时限不能早于当前时间",
            "The deadline must be in the future",
            code="in_the_past",
            field="due_at",
        )
    if value > now + DUE_AT_AHEAD:
        raise InvalidInput(
            "办理时限不能晚于两年以后",
            "The deadline may be at most two years ahead",
            code="out_of_range",
            field="due_at",
        )
    return value


def clean_notice_input(data: "NoticeInput") -> "NoticeInput":
    """Every text and date of a notice to register, checked; the texts stripped."""
    return dataclasses.replace(
        data,
        doc_number=clean_text(data.doc_number, DOC_NUMBER),
        title=clean_text(data.title, TITLE, required=True),
        issuer=clean_text(data.issuer, ISSUER, required=True),
        doc_type=clean_text(data.doc_type, DOC_TYPE),
        addressees=clean_text(data.addressees, ADDRESSEES),
        instruction=clean_text(data.instruction, INSTRUCTION),
        body=clean_text(data.body, BODY),
        forwards=clean_titles(list(data.forwards)),
        issued_on=clean_issued_on(data.issued_on),
        due_at=clean_due_at(data.due_at),
    )
