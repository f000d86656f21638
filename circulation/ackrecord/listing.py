"""The recipient listing of the record: pre-formatted text, laid out here rather than by WeasyPrint.

Why not an HTML table: WeasyPrint lays out and paints every table cell, and every paragraph, as
boxes of its own. With seven cells per recipient, 1,000 recipients took about 6.5 s (Chromium:
about 3.5 s); with one paragraph per recipient about 1.6 s. Here each recipient is a few lines of
pre-formatted text in the monospaced face: the columns are padded, and comments wrapped under
their column (a hanging indent), by this module from the font's own advance widths, so Chinese
names (two columns per character) line up with digits and Latin letters. The lines are then drawn
straight onto the page (:mod:`circulation.ackrecord.drawn`), or, for a recipient with a character
the monospaced face lacks, laid out by WeasyPrint as ``white-space: pre`` text, which only breaks
lines where we put them (docs/benchmarks.md has the numbers).

The line width must match the CSS (``.acklist`` font size and the page's content width).
"""

import math
from dataclasses import dataclass
from typing import Any

from circulation.ackrecord.fonts import char_columns, mono_columns
from circulation.ackrecord.templatetags.ackrecord_tags import record_time

# A4 (210 mm) minus 2 × 16 mm margins = 178 mm; 8 pt monospaced → 1 ch = 4 pt ≈ 1.411 mm → 126.
LINE_COLUMNS = 125
GAP = 2
BLANK = "-"
NAME_MIN, NAME_MAX = 8, 24
NO_LINE_START = frozenset("，。、；：？！）》」』〕】〉”’…—·,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『〔【〈“‘([{")


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    right: bool = False


def fit(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` columns (never cut: a record shows everything)."""
    pad = " " * max(0, math.floor(width - mono_columns(text)))
    return pad + text if right else text + pad


def _break_at(line: list[str]) -> int:
    """Where to end a full line: keep a Latin word whole, obey the simple 禁则 (kinsoku) rules."""
    cut = len(line)
    if line[-1].isascii() and line[-1].isalnum():
        space = max((i for i, c in enumerate(line) if c == " "), default=-1)
        if space > len(line) // 2:
            cut = space + 1
    while cut > 1 and line[cut - 1] in NO_LINE_END:
        cut -= 1
    return cut


def wrap(text: str, width: int) -> list[str]:
    """Greedy line breaking in ``width`` columns; ``\\n`` breaks, a line never starts with ，。"""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if mono_columns(paragraph) <= width - 1e-6:  # fits (most comments): no break below
            lines.append(paragraph.rstrip())
            continue
        line: list[str] = []
        used = 0.0
        for char in paragraph:
            size = char_columns(char)
            if line and used + size > width:
                cut = _break_at(line)
                if char in NO_LINE_START and cut == len(line) and len(line) > 1:
                    cut -= 1  # take the last character along, so the punctuation is not alone
                lines.append("".join(line[:cut]).rstrip())
                line = line[cut:]
                used = sum(mono_columns(c) for c in line)
            line.append(char)
            used += size
        lines.append("".join(line).rstrip())
    return lines


def _time(value: str | None) -> str:
    return record_time(value) if value else BLANK


def _remark(r: dict[str, Any]) -> str:
    if r["state"] == "returned":
        return f"退回原因：{r['return_reason']}（{_time(r['returned_at'])}）"
    if r["state"] == "cancelled":
        return f"收文已撤回，{_time(r['cancelled_at'])} 取消"
    return str(r["comment"])


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").strip("\n")


def columns_for(units: list[dict[str, Any]]) -> list[Column]:
    longest = max(
        (mono_columns(r["person"]["name"]) for u in units for r in u["recipients"]),
        default=0.0,
    )
    name_width = min(NAME_MAX, max(NAME_MIN, math.ceil(longest)))
    return [
        Column("序号", 4, right=True),
        Column("姓名", name_width),
        Column("首次打开", 16),
        Column("确认时间", 16),
        Column("催办", 4, right=True),
        Column("状态", 6),
    ]


def _record(fields: list[str], columns: list[Column], remark: str) -> str:
    """One recipient: the padded columns, then the remark wrapped under its own column."""
    gap = " " * GAP
    fixed = gap.join(fit(f, c.width, right=c.right) for f, c in zip(fields, columns, strict=True))
    indent = sum(c.width for c in columns) + GAP * len(columns)
    first, *rest = wrap(_clean(remark), LINE_COLUMNS - indent)
    lines = [f"{fixed}{gap}{first}".rstrip(), *(" " * indent + line for line in rest)]
    return "\n".join(lines)


def recipient_listing(units: list[dict[str, Any]]) -> dict[str, Any]:
    """Template context: the header line and, per unit, its records (text, muted)."""
    columns = columns_for(units)
    header = _record([c.title for c in columns], columns, "学习体会 / 退回原因")
    listed = []
    for unit in units:
        records = [
            {
                "muted": r["state"] in ("returned", "cancelled"),
                "text": _record(
                    [
                        str(index),
                        r["person"]["name"],
                        _time(r["opened_at"]),
                        _time(r["confirmed_at"]),
                        str(r["reminders"]),
                        r["state_label"],
                    ],
                    columns,
                    _remark(r),
                ),
            }
            for index, r in enumerate(unit["recipients"], start=1)
        ]
        listed.append({**{k: v for k, v in unit.items() if k != "recipients"}, "records": records})
    return {"header": header, "units": listed, "columns": LINE_COLUMNS}
