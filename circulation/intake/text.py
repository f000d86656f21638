"""Plain text: the encoding is detected, never assumed.

Order: a byte-order mark (UTF-8, UTF-16); then strict UTF-8; then strict GB18030 (a superset of
GBK and GB2312, what Chinese Windows Notepad saves); a file whose lines decode in *different*
encodings (some UTF-8 with Chinese, some only GB18030) is refused as mixed rather than shown as
mojibake. Anything else is handed to charset-normalizer, and accepted only when it names an
encoding whose text holds Chinese and no control characters. Binary junk (NUL and other control
bytes) is refused first.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from circulation.intake.errors import IntakeError

_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_CJK = re.compile("[\u3400-\u9fff]")
_MAX_SHOWN_LINES = 5


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # utf-8, gb18030, utf-16 …
    detected_by: str  # "bom", "strict", "charset-normalizer"


def not_text() -> IntakeError:
    return IntakeError(
        "not_text",
        "文件内容不是文本（含有二进制数据或控制字符），请确认选择的是 TXT 文本文件。",
        "The file is not text (it holds binary data or control characters); "
        "check that you chose a plain-text file.",
    )


def decode_text(data: bytes) -> DecodedText:
    """The text of ``data`` with the encoding it was found in; :class:`IntakeError` otherwise."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", "bom")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", "bom")
    if _CONTROL_BYTES.search(data):
        raise not_text()
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", "strict")
    except UnicodeDecodeError:
        pass
    _refuse_mixed(data)
    try:
        return DecodedText(data.decode("gb18030"), "gb18030", "strict")
    except UnicodeDecodeError:
        pass
    return _guess(data)


def _strict(data: bytes, encoding: str, how: str) -> DecodedText:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise not_text() from None
    if _CONTROL_CHARS.search(text):
        raise not_text()
    return DecodedText(text, encoding, how)


def _refuse_mixed(data: bytes) -> None:
    """Some lines are UTF-8 with non-ASCII text, others are not UTF-8 at all: mixed encodings."""
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
        else:
            utf8_lines.append(number)
    if utf8_lines and other_lines:
        shown_utf8 = "、".join(str(n) for n in utf8_lines[:_MAX_SHOWN_LINES])
        shown_other = "、".join(str(n) for n in other_lines[:_MAX_SHOWN_LINES])
        raise IntakeError(
            "mixed_encodings",
            f"文件混用了多种编码（第 {shown_utf8} 行是 UTF-8，第 {shown_other} 行不是），"
            "无法可靠识别文字。请用记事本打开后统一另存为 UTF-8 再导入。",
            f"The file mixes encodings (line {shown_utf8.replace('、', ', ')} is UTF-8, "
            f"line {shown_other.replace('、', ', ')} is not), so its text cannot be read "
            "reliably; save it as UTF-8 in one piece and import it again.",
        )


def _guess(data: bytes) -> DecodedText:
    best = from_bytes(data[: 1 << 20]).best()
    if best is None or best.encoding is None:
        raise not_text()
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise not_text() from None
    if _CONTROL_CHARS.search(text) or not _CJK.search(text):
        raise IntakeError(
            "unknown_encoding",
            "无法识别文件的文字编码（不是 UTF-8，也不是 GBK/GB18030），请另存为 UTF-8 后再导入。",
            "The file's text encoding cannot be recognised (it is neither UTF-8 nor "
            "GBK/GB18030); save it as UTF-8 and import it again.",
        )
    return DecodedText(text, best.encoding, "charset-normalizer")
