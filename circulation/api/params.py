"""Query parameters, read once and checked: a NUL byte, another control character or a number
out of range is a 400 naming the parameter, never a database error (500)."""

import re

from rest_framework.request import Request

from circulation.records.errors import InvalidInput
from circulation.records.validation import refuse_control_characters

_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also accepts "²" and "٣"


def text_param(request: Request, name: str, *, max_length: int) -> str:
    """The parameter stripped and cut to ``max_length`` characters; "" when absent."""
    value = str(request.query_params.get(name, ""))
    refuse_control_characters(
        value, field=name, name_zh=f"查询参数 {name} ", name_en=f"query parameter {name}"
    )
    return value.strip()[:max_length]


def int_param(
    request: Request, name: str, *, minimum: int, maximum: int, default: int | None = None
) -> int | None:
    """A whole number between ``minimum`` and ``maximum``; ``default`` when absent or blank."""
    value = str(request.query_params.get(name, "")).strip()
    if not value:
        return default
    number = int(value) if _DIGITS.fullmatch(value) else None
    if number is None or not minimum <= number <= maximum:
        raise InvalidInput(
            f"查询参数 {name} 须为 {minimum} 到 {maximum} 之间的整数",
            f"Query parameter {name} must be a whole number from {minimum} to {maximum}",
            code="invalid",
            field=name,
        )
    return number


YEAR_RANGE = {"minimum": 1949, "maximum": 2100}
