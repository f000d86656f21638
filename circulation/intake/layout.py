"""The registration fields of a notice, read by the layout GB/T 9704-2012 prescribes.

版头: 份号, 密级和保密期限, 紧急程度, 发文机关标志 (``舞阳县工业和信息化局文件``), 发文字号
(with 签发人 beside it in an upward document). 主体: 标题 (one or more lines, ending in the
文种), 主送机关 (a line ending in a colon), 正文, 附件说明 (``附件：1．…``), 发文机关署名,
成文日期, 附注 (``（此件公开发布）``). 版记: 抄送, 印发机关和印发日期.

Every field found carries its confidence (``high`` when the layout says what the line is,
``medium`` when it is inferred from a second place, ``low`` when it is a guess the clerk must
check) and the number of the line it came from; fields not found are listed as missing, never
filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from circulation.intake.dates import is_chinese_numeral_date, parse_date_line
from circulation.records.doc_number import DocNumberError, ParsedDocNumber, parse_doc_number

HIGH, MEDIUM, LOW = "high", "medium", "low"
HEAD_LINES = 15
"""The 版头 and title are looked for in the first lines that are not blank."""
MAX_TITLE_LINES = 4
MAX_TITLE_CHARS = 300
MAX_TITLE_LINE = 150
MAX_LINE_CHARS = 2_000
"""Lines are cut to this length before any rule looks at them (keeps every rule linear)."""

# 《党政机关公文处理工作条例》第八条 (15 文种) and the forms that often stand in the title.
DOC_TYPES = (
    "决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示",
    "批复", "议案", "纪要", "函", "令", "方案", "办法", "规定", "细则", "规划", "要点",
)  # fmt: skip
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "《》〈〉（）【】〔〕、，。：；“”‘’！？·—…"
_JOINABLE = f"[{_CJK}{_CJK_PUNCT}]"
_SPACES_IN_CJK = re.compile(f"(?<={_JOINABLE})[ \\t\\u3000\\xa0]+(?={_JOINABLE})")
_OPEN = re.escape("〔[（(【﹝［{｛〖")
_CLOSE = re.escape("〕]）)】﹞］}｝〗")
DOC_NUMBER = re.compile(
    f"([{_CJK}A-Za-zＡ-Ｚａ-ｚ]{{1,20}})\\s*[{_OPEN}]\\s*[0-9０-９]{{4}}\\s*[{_CLOSE}]"
    "\\s*第?\\s*[0-9０-９]{1,7}\\s*号?"
)
_SIGNER = re.compile(r"签\s*发\s*人\s*[：:]\s*(.{1,40})$")
_SECRECY_MARK = re.compile(r"^(绝密|机密|秘密)\s*(?:★\s*(.{0,12}))?$")
_OPEN_MARK = re.compile(r"^(内部|公开|内部资料|内部文件)$")
_URGENCY_MARK = re.compile(r"^(特急|加急|平急|急件)$")
_COPY_NUMBER = re.compile(r"^[0-9０-９]{6}$")
_ISSUER_MARK = re.compile(f"^([{_CJK}（）()、]{{2,60}}?)文件$")
_ORG_ENDING = re.compile("(局|委|办|厅|部|院|会|府|处|署|中心|委员会|办公室|公司|集团|学校|政府)$")
_ADDRESSEE = re.compile(r"^(.{2,200}?)[：:]$")
_ATTACHMENT_HEAD = re.compile(r"^附\s*件\s*[：:]\s*(.*)$")
_NUMBERED_ITEM = re.compile(r"^([0-9０-９]{1,2})\s*[．.、]\s*(.+)$")
_BOOKS = r"((?:\s*《[^《》]{1,300}》(?:\s*[（(][^（）()《》]{1,60}[）)])?\s*[、和及与，,]?)+)"
_FORWARD = re.compile(f"转发(?:了)?{_BOOKS}|将{_BOOKS}转发")
_BOOK_TITLE = re.compile(r"《([^《》]{1,300})》\s*(?:[（(]([^（）()]{1,60})[）)])?")
_PUBLIC_NOTE = re.compile(r"[（(]\s*此件公开发布\s*[）)]")
_RECORD_LINES = re.compile(
    r"^(抄送|抄报|印发|.{2,60}\s*[0-9０-９〇一二三四五六七八九十]{4}年.{1,6}日印发)"
)
_SECRECY_CODES = {"绝密": "top_secret", "机密": "confidential", "秘密": "secret"}
_URGENCY_CODES = {"特急": "extra_urgent", "加急": "urgent", "平急": "urgent", "急件": "urgent"}
_KIND_WORDS = (
    ("leadership", ("领导班子", "班子成员", "局领导", "局党组")),
    ("section", ("股室", "科室", "各股", "各科", "机关各")),
    ("institution", ("二级机构", "下属单位", "直属单位", "所属单位", "二级单位", "局属单位")),
)


@dataclass
class Found:
    """One field: its value, how sure we are, the line it came from and why (zh, en)."""

    value: Any
    confidence: str
    line: int | None
    note: str = ""
    note_en: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, date) else self.value
        return {
            "value": value,
            "confidence": self.confidence,
            "line": self.line,
            "note": self.note,
            "note_en": self.note_en,
            **self.extra,
        }


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    kind: str


def clean_line(text: str) -> str:
    """Trimmed, without the spaces that line breaks and letter-spacing put between 汉字."""
    return _SPACES_IN_CJK.sub("", text[:MAX_LINE_CHARS].strip())


@dataclass
class _Lines:
    """The document's non-blank lines, cleaned, with their 1-based numbers."""

    raw: list[str]
    items: list[tuple[int, str]]

    @classmethod
    def of(cls, lines: list[str]) -> _Lines:
        items = [(n, clean_line(text)) for n, text in enumerate(lines, start=1)]
        return cls(raw=lines, items=[(n, text) for n, text in items if text])


def extract_fields(lines: list[str], units: list[UnitRef] | None = None) -> dict[str, Found]:
    """Every field found in ``lines`` (the document's lines in reading order)."""
    doc = _Lines.of(lines)
    found: dict[str, Found] = {}
    head = doc.items[:HEAD_LINES]
    cursor = _marks(head, found)
    after_marks = 0 if cursor is None else cursor + 1
    number_at = _doc_number(head, found)
    above_number = head[after_marks : number_at if number_at is not None else len(head)]
    issuer_at = _issuer_mark(above_number, found)
    if issuer_at is not None:
        issuer_at += after_marks
    start = max(i for i in (cursor, number_at, issuer_at, -1) if i is not None) + 1
    _signer(head, found)
    title_end = _title(doc.items, start, found)
    body_start = _addressees(doc.items, title_end, found, units or [])
    closing = _closing(doc.items, body_start, found)
    _attachments(doc.items, body_start, closing, found)
    _forwards(doc.items, body_start, found)
    _issuer_fallbacks(found)
    _body(doc, body_start, found)
    return found


# --------------------------------------------------------------------------- 版头


def _marks(head: list[tuple[int, str]], found: dict[str, Found]) -> int | None:
    """份号, 密级, 紧急程度 at the top; returns the index of the last mark line."""
    last = None
    for index, (number, text) in enumerate(head[:6]):
        tokens = text.split()
        if not tokens or not all(_is_mark(token) for token in tokens):
            break
        last = index
        for token in tokens:
            if match := _SECRECY_MARK.match(token):
                found["secrecy"] = Found(
                    _SECRECY_CODES[match.group(1)],
                    HIGH,
                    number,
                    f"版头的密级标志“{token}”：涉密文件不得在本系统登记",
                    f'Secrecy mark "{token}" in the header: classified documents cannot be '
                    "registered on this system",
                    {"label": match.group(1)},
                )
            elif _OPEN_MARK.match(token):
                value = "public" if token == "公开" else "internal"  # noqa: S105
                found["secrecy"] = Found(
                    value, HIGH, number, f"版头的标志“{token}”", f'Mark "{token}" in the header',
                    {"label": "公开" if value == "public" else "内部"},
                )  # fmt: skip
            elif _URGENCY_MARK.match(token):
                found["urgency"] = Found(
                    _URGENCY_CODES[token],
                    HIGH,
                    number,
                    f"版头的紧急程度“{token}”",
                    f'Urgency mark "{token}" in the header',
                    {"label": "特急" if token == "特急" else "加急"},  # noqa: S105
                )
    return last


def _is_mark(token: str) -> bool:
    return bool(
        _SECRECY_MARK.match(token)
        or _OPEN_MARK.match(token)
        or _URGENCY_MARK.match(token)
        or _COPY_NUMBER.match(token)
    )


def _doc_number(head: list[tuple[int, str]], found: dict[str, Found]) -> int | None:
    for index, (number, text) in enumerate(head):
        if "《" in text or "关于" in text or "转发" in text:
            continue  # a number cited in the title is not the document's own
        match = DOC_NUMBER.search(text)
        if match is None:
            continue
        try:
            parsed = parse_doc_number(match.group(0))
        except DocNumberError as error:
            found["doc_number"] = Found(
                None,
                LOW,
                number,
                f"第 {number} 行像发文字号但无法识别：{error.message}",
                f"Line {number} looks like a document number but cannot be read: "
                f"{error.message_en}",
                {"original": match.group(0)},
            )
            return index
        alone = len(text) - len(match.group(0)) <= 2 or bool(_SIGNER.search(text))
        found["doc_number"] = _number_found(parsed, number, HIGH if alone else MEDIUM)
        return index
    return None


def _number_found(parsed: ParsedDocNumber, line: int, confidence: str) -> Found:
    corrected = "；".join(c.message for c in parsed.corrections)
    corrected_en = "; ".join(c.message_en for c in parsed.corrections)
    return Found(
        parsed.canonical,
        confidence,
        line,
        f"发文字号（第 {line} 行）" + (f"，已更正：{corrected}" if corrected else ""),
        f"Document number (line {line})" + (f", corrected: {corrected_en}" if corrected else ""),
        {
            "original": parsed.original,
            "corrections": [
                {"code": c.code, "message": c.message, "message_en": c.message_en}
                for c in parsed.corrections
            ],
        },
    )


def _issuer_mark(head: list[tuple[int, str]], found: dict[str, Found]) -> int | None:
    """发文机关标志: ``XXX文件``, or (信函格式) the organisation's name alone above the number."""
    for index, (number, text) in enumerate(head):
        if match := _ISSUER_MARK.match(text):
            found["issuer"] = Found(
                match.group(1),
                HIGH,
                number,
                f"发文机关标志“{text}”",
                f'Issuing organisation mark "{text}"',
            )
            return index
    if "doc_number" in found:
        for index, (number, text) in enumerate(head):
            if _ORG_ENDING.search(text) and len(text) <= 40 and not _PUNCT_END.search(text):
                found["issuer"] = Found(
                    text,
                    MEDIUM,
                    number,
                    f"发文字号上方的机关名称“{text}”",
                    f'Organisation name "{text}" above the document number',
                )
                return index
    return None


_PUNCT_END = re.compile(r"[。；;，,：:！？!?]$")


def _signer(head: list[tuple[int, str]], found: dict[str, Found]) -> None:
    for number, text in head:
        if match := _SIGNER.search(text):
            name = match.group(1).strip()
            found["signer"] = Found(
                name, HIGH, number, f"签发人（第 {number} 行）", f"Signed by (line {number})"
            )
            return


# --------------------------------------------------------------------------- 主体


def _doc_type_of(title: str) -> str | None:
    for doc_type in sorted(DOC_TYPES, key=len, reverse=True):
        if title.endswith(doc_type):
            return doc_type
    return None


def _title(items: list[tuple[int, str]], start: int, found: dict[str, Found]) -> int:
    """标题 from ``start``: up to the line ending in the 文种 or before the 主送 line."""
    parts: list[tuple[int, str]] = []
    index = start
    while index < len(items) and len(parts) < MAX_TITLE_LINES:
        number, text = items[index]
        if _SIGNER.search(text) and not parts:
            index += 1
            continue
        if _ADDRESSEE.match(text) or _PUNCT_END.search(text) or len(text) > MAX_TITLE_LINE:
            break
        parts.append((number, text))
        index += 1
        if _doc_type_of(text):
            break
    title = "".join(text for _, text in parts)
    if not parts or len(title) > MAX_TITLE_CHARS:
        return start
    doc_type = _doc_type_of(title)
    lines = [number for number, _ in parts]
    where = f"第 {lines[0]}–{lines[-1]} 行" if len(lines) > 1 else f"第 {lines[0]} 行"
    where_en = f"lines {lines[0]}–{lines[-1]}" if len(lines) > 1 else f"line {lines[0]}"
    if "关于" in title and doc_type:
        confidence, why, why_en = HIGH, "", ""
    elif doc_type or "关于" in title:
        confidence, why, why_en = MEDIUM, "，请核对", "; please check"
    else:
        confidence = LOW
        why, why_en = "，不像标准标题（无“关于”和文种），请核对", " (no 关于 and no 文种); check it"
    found["title"] = Found(
        title,
        confidence,
        lines[0],
        f"标题（{where}{'，跨 ' + str(len(lines)) + ' 行合并' if len(lines) > 1 else ''}）{why}",
        f"Title ({where_en}{', joined' if len(lines) > 1 else ''}){why_en}",
        {"lines": lines},
    )
    if doc_type:
        found["doc_type"] = Found(
            doc_type,
            HIGH if confidence == HIGH else MEDIUM,
            lines[-1],
            f"标题末尾的文种“{doc_type}”",
            f'Document type "{doc_type}" at the end of the title',
        )
    return index


def _addressees(
    items: list[tuple[int, str]], index: int, found: dict[str, Found], units: list[UnitRef]
) -> int:
    """主送机关: the line after the title ending in a colon. Returns where the body starts."""
    if index >= len(items):
        return index
    number, text = items[index]
    match = _ADDRESSEE.match(text)
    if match is None or "。" in text or "如下" in text:  # 通知如下： starts the body
        return index
    value = match.group(1).strip()
    found["addressees"] = Found(
        value,
        HIGH,
        number,
        f"主送机关（第 {number} 行）",
        f"Addressees (line {number})",
        map_addressees(value, units),
    )
    return index + 1


def map_addressees(text: str, units: list[UnitRef]) -> dict[str, Any]:
    """The unit kinds and units of our organisation the 主送机关 names, and what matched none."""
    kinds: list[str] = []
    codes: list[str] = []
    names: list[str] = []
    unmatched: list[str] = []
    by_name = {unit.name: unit for unit in units}
    for token in re.split(r"[、，,；;\s]+", text):
        token = token.strip()
        if not token:
            continue
        plain = token.removeprefix("各").removeprefix("县")
        unit = by_name.get(token) or by_name.get(plain)
        matched = False
        if unit is not None:
            codes.append(unit.code)
            names.append(unit.name)
            matched = True
        for kind, words in _KIND_WORDS:
            if any(word in token for word in words):
                kinds.append(kind)
                matched = True
        if not matched:
            unmatched.append(token)
    return {
        "unit_kinds": list(dict.fromkeys(kinds)),
        "units": list(dict.fromkeys(codes)),
        "unit_names": list(dict.fromkeys(names)),
        "unmatched": unmatched,
    }


def _closing(items: list[tuple[int, str]], body_start: int, found: dict[str, Found]) -> int:
    """成文日期 (the first date standing alone after the body starts) and the 署名 above it.

    Returns the index where the closing block (附件说明 excluded) starts, or ``len(items)``.
    """
    for number, text in items[body_start:]:
        if _PUBLIC_NOTE.search(text) and "secrecy" not in found:
            found["secrecy"] = Found(
                "public", MEDIUM, number, "附注“此件公开发布”", 'Note "此件公开发布" (published)',
                {"label": "公开"},
            )  # fmt: skip
    for index in range(body_start, len(items)):
        number, text = items[index]
        issued = parse_date_line(text)
        if issued is None:
            continue
        chinese = is_chinese_numeral_date(text)
        found["issued_on"] = Found(
            issued,
            HIGH,
            number,
            f"成文日期“{text}”" + ("（汉字数字）" if chinese else ""),
            f'Date of issue "{text}"' + (" (Chinese numerals)" if chinese else ""),
        )
        signature = index - 1
        if signature >= body_start:
            sig_number, sig_text = items[signature]
            if len(sig_text) <= 60 and not _PUNCT_END.search(sig_text):
                found["signature"] = Found(
                    sig_text,
                    HIGH,
                    sig_number,
                    "发文机关署名",
                    "Issuing organisation's signature",
                )
                return signature
        return index
    return len(items)


def _attachments(
    items: list[tuple[int, str]], body_start: int, closing: int, found: dict[str, Found]
) -> None:
    """附件说明: ``附件：1．…`` and the numbered lines under it, before the 署名."""
    for index in range(body_start, min(closing + 1, len(items))):
        number, text = items[index]
        match = _ATTACHMENT_HEAD.match(text)
        if match is None:
            continue
        entries: list[str] = []
        first = match.group(1).strip()
        if first:
            item = _NUMBERED_ITEM.match(first)
            entries.append(item.group(2) if item else first)
        for _next_number, following in items[index + 1 : closing]:
            item = _NUMBERED_ITEM.match(following)
            if item:
                entries.append(item.group(2).strip())
            elif entries and not _PUNCT_END.search(entries[-1]) and len(following) <= 60:
                entries[-1] += following  # an item continued on the next line
            else:
                break
        entries = [entry.rstrip("。；;") for entry in entries if entry]
        if entries:
            found["attachments"] = Found(
                entries, HIGH, number, f"附件说明（第 {number} 行）", f"Attachments (line {number})"
            )
        return


def _forwards(items: list[tuple[int, str]], body_start: int, found: dict[str, Found]) -> None:
    """转发《…》: from the title (high), else from the first paragraphs of the body (medium)."""
    places: list[tuple[str, int | None, str]] = []
    title = found.get("title")
    if title is not None:
        places.append((title.value, title.line, HIGH))
    places.extend((text, number, MEDIUM) for number, text in items[body_start : body_start + 3])
    entries: list[dict[str, Any]] = []
    first_line: int | None = None
    confidence = MEDIUM
    for text, where, level in places:
        for group in _FORWARD.finditer(text):
            for book in _BOOK_TITLE.finditer(group.group(1) or group.group(2)):
                entry = _forward_entry(book.group(1), book.group(2))
                if entry["title"] not in {e["title"] for e in entries}:
                    entries.append(entry)
                    if first_line is None:
                        first_line, confidence = where, level
        if entries:
            break
    if entries:
        found["forwards"] = Found(
            [e["title"] for e in entries],
            confidence,
            first_line,
            "标题中“转发《…》”" if confidence == HIGH else "正文开头“转发《…》”",
            '"转发《…》" in the title' if confidence == HIGH else '"转发《…》" in the body',
            {"items": entries[:20]},
        )


def _forward_entry(title: str, bracketed: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"title": title.strip(), "doc_number": None}
    for text in (bracketed or "", title):
        match = DOC_NUMBER.search(text)
        if match is None:
            continue
        try:
            entry["doc_number"] = parse_doc_number(match.group(0)).canonical
        except DocNumberError:
            entry["doc_number"] = match.group(0)
        break
    return entry


def _issuer_fallbacks(found: dict[str, Found]) -> None:
    if "issuer" in found:
        return
    signature = found.get("signature")
    if signature is not None and _ORG_ENDING.search(signature.value):
        found["issuer"] = Found(
            signature.value,
            MEDIUM,
            signature.line,
            "无发文机关标志，取自文末署名",
            "No issuing organisation mark; taken from the signature at the end",
        )
        return
    title = found.get("title")
    if title is not None and "关于" in title.value:
        prefix = title.value.split("关于", 1)[0]
        if 2 <= len(prefix) <= 60 and _ORG_ENDING.search(prefix):
            found["issuer"] = Found(
                prefix,
                MEDIUM,
                title.line,
                "无发文机关标志，取自标题中“关于”之前的机关名称",
                'No issuing organisation mark; taken from the title, before "关于"',
            )


def _body(doc: _Lines, body_start: int, found: dict[str, Found]) -> None:
    if body_start >= len(doc.items):
        return
    first = doc.items[body_start][0]
    kept = [line.rstrip() for line in doc.raw[first - 1 :]]
    kept = [line for line in kept if not _RECORD_LINES.match(line.strip())]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    if text.strip():
        found["body"] = Found(
            text, HIGH, first, f"正文（自第 {first} 行起）", f"Body (from line {first})"
        )
