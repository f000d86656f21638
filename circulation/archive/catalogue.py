"""归档文件目录 (DA/T 22-2015): one row per record — 序号, 档号, 文号, 责任者, 题名,
日期 (8 digits), 密级, 页数, 备注 — ordered by 年度, 保管期限 (永久, 30年, 10年),
机构(问题), 件号. Written as CSV (UTF-8 with BOM, so Excel opens it correctly) and XLSX
(openpyxl, every cell text)."""

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from django.db.models import Case, IntegerField, QuerySet, Value, When

from circulation.archive.codes import RETENTION_ORDER
from circulation.archive.models import ArchivedRecord
from circulation.records.models import Secrecy

HEADERS = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def catalogue_records(
    base: QuerySet[ArchivedRecord], year: int | None = None
) -> QuerySet[ArchivedRecord]:
    records = base if year is None else base.filter(year=year)
    order = Case(
        *(When(retention=code, then=Value(rank)) for code, rank in RETENTION_ORDER.items()),
        output_field=IntegerField(),
    )
    return records.annotate(retention_rank=order).order_by(
        "year", "retention_rank", "unit_code", "item_no"
    )


def catalogue_rows(records: Iterable[ArchivedRecord]) -> Iterator[list[str]]:
    for number, record in enumerate(records, start=1):
        yield [
            str(number),
            record.archival_code,
            record.doc_number,
            record.issuer,
            record.title,
            record.date_text,
            str(Secrecy(record.secrecy).label) if record.secrecy in Secrecy.values else "",
            str(record.page_count),
            record.remarks,
        ]


def _csv_safe(value: str) -> str:
    """Spreadsheet formula injection: a cell never starts with = + - @ (a ' is put in front)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(rows: Iterable[list[str]], stream: IO[str]) -> None:
    """CSV with a BOM (``\\ufeff``) and CRLF line ends, as Excel expects."""
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([_csv_safe(cell) for cell in row])


def write_xlsx(rows: Iterable[list[str]], path: Path, *, title: str = "归档文件目录") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = title[:31]
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=index, column=column)
            cell.value = value
            cell.data_type = "s"  # text, never a formula
    for letter, width in zip("ABCDEFGHI", (6, 28, 20, 24, 60, 10, 6, 6, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    workbook.save(path)
