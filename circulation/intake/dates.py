"""成文日期: ``2022年10月8日`` and ``二〇二二年十月八日`` (cn2an for the Chinese numerals)."""

from __future__ import annotations

import re
from datetime import date

import cn2an

_YEAR_DIGITS = str.maketrans(
    "〇零○ＯO一二三四五六七八九０１２３４５６７８９", "000001234567890123456789"
)
_CN = "〇零○Ｏ一二三四五六七八九十"
_DIGIT = "0-9０-９"
# A whole line that is a date (the 成文日期 stands alone under the 署名), spaces allowed.
DATE_LINE = re.compile(
    rf"^\s*([{_DIGIT}{_CN}O]{{4}})\s*年\s*([{_DIGIT}{_CN}]{{1,3}})\s*月"
    rf"\s*([{_DIGIT}{_CN}]{{1,3}})\s*日\s*$"
)
DATE_ANYWHERE = re.compile(
    rf"([{_DIGIT}{_CN}O]{{4}})\s*年\s*([{_DIGIT}{_CN}]{{1,3}})\s*月\s*([{_DIGIT}{_CN}]{{1,3}})\s*日"
)


def _small_number(text: str) -> int | None:
    """Month or day: ``10``, ``１０``, ``十``, ``二十八``, ``三十一``."""
    half = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if half.isdigit():
        return int(half)
    try:
        value = cn2an.cn2an(text.replace("〇", "零"), "strict")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() else None


def parse_date_parts(year: str, month: str, day: str) -> date | None:
    """The date, or ``None`` when a part is not a number or the date does not exist."""
    digits = year.translate(_YEAR_DIGITS)
    if not digits.isdigit() or len(digits) != 4:
        return None
    month_value, day_value = _small_number(month), _small_number(day)
    if month_value is None or day_value is None:
        return None
    try:
        return date(int(digits), month_value, day_value)
    except ValueError:
        return None


def parse_date_line(line: str) -> date | None:
    match = DATE_LINE.match(line)
    if match is None:
        return None
    return parse_date_parts(*match.groups())


def is_chinese_numeral_date(line: str) -> bool:
    match = DATE_LINE.match(line)
    return match is not None and not any(char.isdigit() for char in match.group(1))
