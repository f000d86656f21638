"""发文字号 (official document number) parsing and normalisation, GB/T 9704-2012 §7.2.5.

A 发文字号 is 机关代字 (issuer code) + the full year in 六角括号 〔〕 + 发文顺序号 (serial) + 号,
with no 第 and no leading zeros: ``舞工信〔2022〕25号``.

Clerks type many variants (``舞工信[2022]025号``, ``舞工信（２０２２）第25号``, stray spaces, a
missing 号 …). :func:`parse_doc_number` accepts those, returns the canonical form with its parts
and one :class:`Correction` per kind of change made, and rejects anything it cannot read with a
:class:`DocNumberError` whose messages (Chinese and English) tell the clerk what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_INPUT_LENGTH = 100
"""Longest accepted input, in characters, before any normalisation."""
MAX_ISSUER_LENGTH = 50
"""Longest 机关代字 (matches ``Notice.issuer_code``)."""
MIN_YEAR = 1949
MAX_YEAR = 2100
MAX_SERIAL = 999_999
"""Largest 发文顺序号; anything longer is almost certainly a typing error."""

OPEN_BRACKET = "〔"
CLOSE_BRACKET = "〕"
_OPEN_BRACKETS = "〔[（(【﹝［{｛〖"
_CLOSE_BRACKETS = "〕]）)】﹞］}｝〗"
_BRACKETS = frozenset(_OPEN_BRACKETS + _CLOSE_BRACKETS)
_OPEN_CLASS = f"[{re.escape(_OPEN_BRACKETS)}]"
_CLOSE_CLASS = f"[{re.escape(_CLOSE_BRACKETS)}]"
# Any bracketed group, and one holding only (half- or full-width) digits.
_BRACKETED = re.compile(
    f"({_OPEN_CLASS})([^{re.escape(_OPEN_BRACKETS + _CLOSE_BRACKETS)}]*)({_CLOSE_CLASS})"
)
_BRACKETED_DIGITS = re.compile(f"({_OPEN_CLASS})([0-9０-９]+)({_CLOSE_CLASS})")

DI = "第"
HAO = "号"

_FULLWIDTH_DIGITS = "０１２３４５６７８９"
_HALFWIDTH_DIGITS = "0123456789"
_DIGITS = frozenset(_FULLWIDTH_DIGITS + _HALFWIDTH_DIGITS)
_TO_HALFWIDTH_DIGITS = str.maketrans(_FULLWIDTH_DIGITS, _HALFWIDTH_DIGITS)
_FULLWIDTH_LETTERS = "".join(chr(c) for c in range(0xFF21, 0xFF3B)) + "".join(
    chr(c) for c in range(0xFF41, 0xFF5B)
)
_HALFWIDTH_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_HALFWIDTH_LETTERS = str.maketrans(_FULLWIDTH_LETTERS, _HALFWIDTH_LETTERS)
_ASCII_LETTERS = frozenset(_HALFWIDTH_LETTERS)

# Zero-width characters that come along with copy-and-paste; removed like spaces.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")

# CJK unified ideographs (basic, extensions A-H) and compatibility ideographs.
_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2EBEF),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)

# Order in which corrections are reported.
_CORRECTION_ORDER = (
    "whitespace",
    "fullwidth_letters",
    "fullwidth_digits",
    "brackets",
    "di",
    "leading_zeros",
    "missing_hao",
)


@dataclass(frozen=True)
class Correction:
    """One kind of change made while normalising a 发文字号."""

    code: str
    message: str
    message_en: str


@dataclass(frozen=True)
class ParsedDocNumber:
    """A 发文字号 read from user input: the canonical form, its parts and the corrections made."""

    original: str
    canonical: str
    issuer_code: str
    year: int
    serial: int
    corrections: tuple[Correction, ...]


class DocNumberError(ValueError):
    """The input cannot be read as a 发文字号; ``code`` says why, the messages say it to a clerk."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_en = message_en


@dataclass(frozen=True)
class _Parts:
    """The raw pieces of a whitespace-free 发文字号, split around the year brackets."""

    issuer: str
    open_bracket: str
    year: str
    close_bracket: str
    rest: str


def parse_doc_number(text: str) -> ParsedDocNumber:
    """Parse and normalise a 发文字号 such as ``舞工信[2022]025号`` to ``舞工信〔2022〕25号``.

    Raises :class:`DocNumberError` (and nothing else) when the text cannot be read.
    """
    _check_text(text)
    compact = _remove_whitespace(text)
    if not compact:
        raise _empty_error()
    parts = _split_at_year(compact)
    issuer = _parse_issuer(parts.issuer)
    year = _parse_year(parts.year)
    serial_text, has_di, has_hao = _strip_serial_affixes(parts.rest)
    serial = _parse_serial(serial_text)
    canonical = format_doc_number(issuer, year, serial)
    corrections = _collect_corrections(
        text=text,
        compact=compact,
        parts=parts,
        issuer=issuer,
        serial_text=serial_text,
        has_di=has_di,
        has_hao=has_hao,
    )
    return ParsedDocNumber(
        original=text,
        canonical=canonical,
        issuer_code=issuer,
        year=year,
        serial=serial,
        corrections=corrections,
    )


def format_doc_number(issuer_code: str, year: int, serial: int) -> str:
    """Build the canonical 发文字号, e.g. ``舞工信〔2022〕25号``."""
    return f"{issuer_code}{OPEN_BRACKET}{year}{CLOSE_BRACKET}{serial}{HAO}"


# --- reading the parts -------------------------------------------------------------------------


def _check_text(text: object) -> None:
    """Reject input that is not text, is blank or is too long to be a 发文字号."""
    if text is None:
        raise _empty_error()
    if not isinstance(text, str):
        raise DocNumberError(
            "invalid_type",
            "发文字号应为文字",
            f"The document number must be text, not {type(text).__name__}",
        )
    if len(text) > MAX_INPUT_LENGTH:
        raise DocNumberError(
            "too_long",
            f"发文字号过长（{len(text)}个字符），最多{MAX_INPUT_LENGTH}个字符",
            f"The document number is too long ({len(text)} characters; at most {MAX_INPUT_LENGTH})",
        )


def _empty_error() -> DocNumberError:
    """The error for a missing or blank 发文字号."""
    return DocNumberError(
        "empty",
        "请填写发文字号，如：舞工信〔2022〕25号",
        "Please enter the document number, e.g. 舞工信〔2022〕25号",
    )


def _is_blank(char: str) -> bool:
    """Whether ``char`` is whitespace (incl. the full-width space U+3000) or zero-width."""
    return char.isspace() or char in _INVISIBLE


def _remove_whitespace(text: str) -> str:
    """Drop every space, tab, line break, full-width space and zero-width character."""
    return "".join(char for char in text if not _is_blank(char))


def _strip_blank(text: str) -> str:
    """Remove whitespace and zero-width characters from both ends only."""
    start, end = 0, len(text)
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    return text[start:end]


def _split_at_year(compact: str) -> _Parts:
    """Split at the bracketed year: 机关代字〔年份〕序号号.

    The year is the first bracketed group of digits or, if there is none, the first bracketed
    group of anything (so that ``舞工信〔二〇二二〕1号`` is reported as a bad year).
    """
    match = _BRACKETED_DIGITS.search(compact) or _BRACKETED.search(compact)
    if match is None:
        raise _missing_brackets_error(compact)
    return _Parts(
        issuer=compact[: match.start()],
        open_bracket=match.group(1),
        year=match.group(2),
        close_bracket=match.group(3),
        rest=compact[match.end() :],
    )


def _missing_brackets_error(compact: str) -> DocNumberError:
    """The error for a 发文字号 without a matching pair of brackets around the year."""
    if any(char in _BRACKETS for char in compact):
        return DocNumberError(
            "missing_brackets",
            f'"{_show(compact)}"中的年份括号不成对，年份应写在六角括号"〔〕"内，如：舞工信〔2022〕25号',
            f'The brackets around the year in "{_show(compact)}" do not match; write the year '
            "in 〔〕, e.g. 舞工信〔2022〕25号",
        )
    return DocNumberError(
        "missing_brackets",
        f'"{_show(compact)}"中没有用括号括起的年份，年份应写在六角括号"〔〕"内，如：舞工信〔2022〕25号',
        f'"{_show(compact)}" has no year in brackets; write the year in 〔〕, '
        "e.g. 舞工信〔2022〕25号",
    )


def _is_cjk(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph (汉字)."""
    point = ord(char)
    return any(low <= point <= high for low, high in _CJK_RANGES)


def _parse_issuer(raw: str) -> str:
    """Validate the 机关代字 and return it with full-width letters made half-width."""
    if not raw:
        raise DocNumberError(
            "issuer_missing",
            "缺少机关代字，年份括号前应有发文机关代字，如：舞工信〔2022〕25号",
            "The issuer code is missing before the year, e.g. 舞工信 in 舞工信〔2022〕25号",
        )
    issuer = raw.translate(_TO_HALFWIDTH_LETTERS)
    _check_issuer_chars(raw, issuer)
    if not any(_is_cjk(char) for char in issuer):
        raise DocNumberError(
            "issuer_invalid",
            f'机关代字"{_show(raw)}"中没有汉字',
            f'The issuer code "{_show(raw)}" contains no Chinese characters',
        )
    if len(issuer) > MAX_ISSUER_LENGTH:
        raise DocNumberError(
            "issuer_too_long",
            f'机关代字"{_show(raw)}"过长，最多{MAX_ISSUER_LENGTH}个字',
            f'The issuer code "{_show(raw)}" is too long (at most {MAX_ISSUER_LENGTH} characters)',
        )
    return issuer


def _check_issuer_chars(raw: str, issuer: str) -> None:
    """Reject digits, brackets and anything but 汉字 and Latin letters in the 机关代字."""
    for char in issuer:
        if char in _DIGITS or unicodedata.category(char) == "Nd":
            raise DocNumberError(
                "issuer_invalid",
                f'机关代字"{_show(raw)}"中不应有数字"{_show(char)}"；年份请写在六角括号"〔〕"内',
                f'The issuer code "{_show(raw)}" must not contain the digit "{_show(char)}"; '
                "write the year in 〔〕",
            )
        if char in _BRACKETS:
            raise DocNumberError(
                "issuer_invalid",
                f'机关代字"{_show(raw)}"中不应有括号"{_show(char)}"',
                f'The issuer code "{_show(raw)}" must not contain the bracket "{_show(char)}"',
            )
        if not (_is_cjk(char) or char in _ASCII_LETTERS):
            raise DocNumberError(
                "issuer_invalid",
                f'机关代字"{_show(raw)}"中含有不允许的字符"{_show(char)}"，只能是汉字和字母',
                f'The issuer code "{_show(raw)}" contains the character "{_show(char)}"; '
                "only Chinese characters and letters are allowed",
            )


def _is_number(text: str) -> bool:
    """Whether ``text`` is non-empty and only half- or full-width digits 0-9."""
    return bool(text) and all(char in _DIGITS for char in text)


def _parse_year(raw: str) -> int:
    """Read the year in the brackets: four digits, between ``MIN_YEAR`` and ``MAX_YEAR``."""
    digits = raw.translate(_TO_HALFWIDTH_DIGITS)
    if not raw:
        raise DocNumberError(
            "year_format",
            '年份括号内没有年份，应写四位年份，如"〔2022〕"',
            'The year brackets are empty; write the full year, e.g. "〔2022〕"',
        )
    if not _is_number(raw) or len(digits) != 4:
        raise DocNumberError(
            "year_format",
            f'年份"{_show(raw)}"应为四位数字的完整年份，如"2022"',
            f'The year "{_show(raw)}" must be written in full with four digits, e.g. "2022"',
        )
    year = int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DocNumberError(
            "year_range",
            f"年份{year}不在{MIN_YEAR}—{MAX_YEAR}年之间",
            f"The year {year} is not between {MIN_YEAR} and {MAX_YEAR}",
        )
    return year


def _strip_serial_affixes(rest: str) -> tuple[str, bool, bool]:
    """Split what follows the year into (serial, had a leading 第, had a trailing 号)."""
    has_di = rest.startswith(DI)
    if has_di:
        rest = rest[len(DI) :]
    has_hao = rest.endswith(HAO)
    if has_hao:
        rest = rest[: -len(HAO)]
    return rest, has_di, has_hao


def _parse_serial(raw: str) -> int:
    """Read the 发文顺序号: a positive whole number of at most ``MAX_SERIAL``."""
    if not raw:
        raise DocNumberError(
            "serial_missing",
            '年份后缺少发文序号，如"舞工信〔2022〕25号"中的"25"',
            'The serial number after the year is missing, e.g. "25" in 舞工信〔2022〕25号',
        )
    if not _is_number(raw):
        raise DocNumberError(
            "serial_invalid",
            f'序号"{_show(raw)}"不是数字，年份后应只写序号和"号"，如"25号"',
            f'The serial number "{_show(raw)}" is not a number; after the year write only '
            'the number and "号", e.g. "25号"',
        )
    digits = raw.translate(_TO_HALFWIDTH_DIGITS).lstrip("0")
    if not digits:
        raise DocNumberError(
            "serial_zero",
            f'序号"{_show(raw)}"不能为零，序号从1开始',
            f'The serial number "{_show(raw)}" cannot be zero; serial numbers start at 1',
        )
    if len(digits) > len(str(MAX_SERIAL)) or int(digits) > MAX_SERIAL:
        raise DocNumberError(
            "serial_too_large",
            f'序号"{_show(raw)}"过大，最大为{MAX_SERIAL}',
            f'The serial number "{_show(raw)}" is too large (at most {MAX_SERIAL})',
        )
    return int(digits)


def _show(text: str) -> str:
    """Text for a message: control and other invisible characters are shown as U+XXXX."""
    return "".join(
        char if char.isprintable() and not _is_blank(char) else f"U+{ord(char):04X}"
        for char in text
    )


# --- reporting corrections ---------------------------------------------------------------------


def _collect_corrections(
    *,
    text: str,
    compact: str,
    parts: _Parts,
    issuer: str,
    serial_text: str,
    has_di: bool,
    has_hao: bool,
) -> tuple[Correction, ...]:
    """One :class:`Correction` per kind of change between the input and the canonical form."""
    found = [
        _whitespace_correction(text, compact),
        _fullwidth_letters_correction(parts.issuer, issuer),
        _fullwidth_digits_correction(parts.year, serial_text),
        _brackets_correction(parts),
        _di_correction(has_di),
        _leading_zeros_correction(serial_text),
        _missing_hao_correction(has_hao),
    ]
    corrections = [correction for correction in found if correction is not None]
    corrections.sort(key=lambda correction: _CORRECTION_ORDER.index(correction.code))
    return tuple(corrections)


def _whitespace_correction(text: str, compact: str) -> Correction | None:
    """Report removed spaces: around the number, inside it, or both."""
    if text == compact:
        return None
    stripped = _strip_blank(text)
    around = stripped != text
    inside = _remove_whitespace(stripped) != stripped
    if around and inside:
        where_zh, where_en = "首尾和中间", "around and inside the number"
    elif inside:
        where_zh, where_en = "中间", "inside the number"
    else:
        where_zh, where_en = "首尾", "around the number"
    return Correction(
        "whitespace",
        f"去掉了文号{where_zh}多余的空格",
        f"Removed stray spaces {where_en}",
    )


def _fullwidth_letters_correction(raw: str, issuer: str) -> Correction | None:
    """Report full-width letters in the 机关代字 made half-width."""
    if raw == issuer:
        return None
    return Correction(
        "fullwidth_letters",
        f'将机关代字"{raw}"中的全角字母改为半角 → "{issuer}"',
        f'Changed full-width letters in the issuer code "{raw}" to half-width → "{issuer}"',
    )


def _fullwidth_digits_correction(year_raw: str, serial_raw: str) -> Correction | None:
    """Report full-width digits (e.g. ２０２２) in the year and/or serial made half-width."""
    changed = [
        (raw, raw.translate(_TO_HALFWIDTH_DIGITS))
        for raw in (year_raw, serial_raw)
        if raw != raw.translate(_TO_HALFWIDTH_DIGITS)
    ]
    if not changed:
        return None
    listing = "、".join(f'"{raw}" → "{half}"' for raw, half in changed)
    listing_en = ", ".join(f'"{raw}" → "{half}"' for raw, half in changed)
    return Correction(
        "fullwidth_digits",
        f"将全角数字改为半角数字：{listing}",
        f"Changed full-width digits to half-width: {listing_en}",
    )


def _brackets_correction(parts: _Parts) -> Correction | None:
    """Report year brackets other than the 六角括号 〔〕."""
    if (parts.open_bracket, parts.close_bracket) == (OPEN_BRACKET, CLOSE_BRACKET):
        return None
    typed = f"{parts.open_bracket}{parts.year}{parts.close_bracket}"
    return Correction(
        "brackets",
        f'将"{typed}"中的括号改为六角括号"〔〕"',
        f'Changed the brackets in "{typed}" to the tortoise-shell brackets "〔〕"',
    )


def _di_correction(has_di: bool) -> Correction | None:
    """Report a 第 removed before the serial number."""
    if not has_di:
        return None
    return Correction(
        "di",
        '去掉序号前的"第"字',
        'Removed "第" before the serial number',
    )


def _leading_zeros_correction(serial_raw: str) -> Correction | None:
    """Report leading zeros removed from the serial number (025 → 25)."""
    digits = serial_raw.translate(_TO_HALFWIDTH_DIGITS)
    if not digits.startswith("0"):
        return None
    trimmed = digits.lstrip("0")
    return Correction(
        "leading_zeros",
        f'序号"{digits}"去掉前导零 → "{trimmed}"',
        f'Removed leading zeros from the serial number "{digits}" → "{trimmed}"',
    )


def _missing_hao_correction(has_hao: bool) -> Correction | None:
    """Report a 号 added after the serial number."""
    if has_hao:
        return None
    return Correction(
        "missing_hao",
        '在序号后补上"号"字',
        'Added the missing "号" after the serial number',
    )
