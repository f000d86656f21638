"""档号 (archival code) per DA/T 22-2015:
``全宗号-档案门类代码·年度-保管期限-机构(问题)代码-件号``.

Example: ``Z109-WS·2022-D30-BGS-0025`` — 全宗 Z109, 文书 (WS), 2022, 定期30年, 办公室 (BGS),
item 25.
件号 is four digits, zero-padded; a group (全宗-年度-期限-机构) therefore holds at most 9,999 items.
Parsing accepts the look-alike middle dots people type (・ • ‧ ⋅ .) and lower case, and always
formats with U+00B7 (·).
"""

import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

CATEGORY_WS = "WS"  # 文书
MIDDLE_DOT = "·"
MAX_ITEM_NO = 9999
_DOTS = "·・•‧⋅."

_CODE = re.compile(
    r"^(?P<fonds>[A-Z0-9]{1,10})-(?P<category>[A-Z]{1,4})[" + re.escape(_DOTS) + r"]"
    r"(?P<year>\d{4})-(?P<retention>Y|D30|D10)-(?P<unit>[A-Z0-9]{1,16})-(?P<item>\d{4})$"
)
_PART = re.compile(r"^[A-Z0-9]{1,16}$")


class Retention(models.TextChoices):
    """保管期限."""

    PERMANENT = "Y", _("永久")
    THIRTY_YEARS = "D30", _("定期30年")
    TEN_YEARS = "D10", _("定期10年")


RETENTION_ORDER = {Retention.PERMANENT: 0, Retention.THIRTY_YEARS: 1, Retention.TEN_YEARS: 2}


class ArchivalCodeError(ValueError):
    """The text is not a 档号, or a part is out of range; messages in zh-hans and English."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en


@dataclass(frozen=True)
class ArchivalCode:
    fonds: str
    year: int
    retention: str
    unit: str
    item_no: int
    category: str = CATEGORY_WS

    def __post_init__(self) -> None:
        if not _PART.match(self.fonds) or len(self.fonds) > 10:
            raise ArchivalCodeError(
                f"全宗号“{self.fonds}”无效（1–10 位大写字母或数字）",
                f"Invalid fonds code {self.fonds!r} (1-10 upper-case letters or digits)",
            )
        if not re.fullmatch(r"[A-Z]{1,4}", self.category):
            raise ArchivalCodeError(
                f"档案门类代码“{self.category}”无效", f"Invalid category {self.category!r}"
            )
        if not 1000 <= self.year <= 9999:
            raise ArchivalCodeError(f"年度 {self.year} 无效", f"Invalid year {self.year}")
        if self.retention not in Retention.values:
            raise ArchivalCodeError(
                f"保管期限“{self.retention}”无效（Y、D30 或 D10）",
                f"Invalid retention {self.retention!r} (Y, D30 or D10)",
            )
        if not _PART.match(self.unit):
            raise ArchivalCodeError(
                f"机构（问题）代码“{self.unit}”无效", f"Invalid unit code {self.unit!r}"
            )
        if not 1 <= self.item_no <= MAX_ITEM_NO:
            raise ArchivalCodeError(
                f"件号 {self.item_no} 超出范围（0001–{MAX_ITEM_NO}）",
                f"Item number {self.item_no} out of range (0001-{MAX_ITEM_NO})",
            )

    def __str__(self) -> str:
        return format_code(self)

    @property
    def item_text(self) -> str:
        return f"{self.item_no:04d}"


def format_code(code: ArchivalCode) -> str:
    return (
        f"{code.fonds}-{code.category}{MIDDLE_DOT}{code.year}-{code.retention}"
        f"-{code.unit}-{code.item_no:04d}"
    )


def parse_code(text: str) -> ArchivalCode:
    """Parse a 档号; surrounding blanks, lower case and look-alike dots are tolerated."""
    match = _CODE.match(text.strip().upper())
    if match is None:
        raise ArchivalCodeError(
            f"“{text[:40]}”不是有效的档号（格式：全宗号-WS·年度-保管期限-机构代码-件号，"
            "如 Z109-WS·2022-D30-BGS-0025）",
            f"{text[:40]!r} is not an archival code "
            "(fonds-WS·year-retention-unit-item, e.g. Z109-WS·2022-D30-BGS-0025)",
        )
    return ArchivalCode(
        fonds=match["fonds"],
        category=match["category"],
        year=int(match["year"]),
        retention=match["retention"],
        unit=match["unit"],
        item_no=int(match["item"]),
    )


def normalise_code(text: str) -> str:
    """The canonical spelling of a 档号 (raises :class:`ArchivalCodeError`)."""
    return format_code(parse_code(text))


RETENTION_INPUT = {
    **{value: value for value in Retention.values},
    **{str(label): value for value, label in Retention.choices},
    "永久保管": Retention.PERMANENT,
    "30年": Retention.THIRTY_YEARS,
    "10年": Retention.TEN_YEARS,
}


def parse_retention(text: str) -> str | None:
    """``Y``/``D30``/``D10`` or their labels (永久/定期30年/定期10年) → the code; else None."""
    return RETENTION_INPUT.get(text.strip().upper()) or RETENTION_INPUT.get(text.strip())
