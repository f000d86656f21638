"""``/archive/catalogue/?year=``: the 归档文件目录 of a year on screen (``catalogue.py``: 序号,
档号, 文号, 责任者, 题名, 日期, 密级, 页数, 备注, in the standard's order) and the same rows as CSV
(UTF-8 with BOM) or XLSX."""

import io
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from circulation.archive.access import archive_records
from circulation.archive.catalogue import (
    HEADERS,
    catalogue_records,
    catalogue_rows,
    write_csv,
    write_xlsx,
)
from circulation.records.models import Person
from circulation.web.views.archive.common import archivist

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _years(user: Person) -> list[int]:
    return list(archive_records(user).order_by("-year").values_list("year", flat=True).distinct())


def _year(request: HttpRequest, years: list[int]) -> int:
    """The asked year if it is a number, else the latest year with records (or this year)."""
    text = request.GET.get("year", "").strip()
    if text.isdigit() and 1949 <= int(text) <= 2100:
        return int(text)
    return years[0] if years else timezone.localdate().year


def _rows(user: Person, year: int) -> list[list[str]]:
    return list(catalogue_rows(catalogue_records(archive_records(user), year)))


@login_required
@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    user = archivist(request)
    years = _years(user)
    year = _year(request, years)
    return render(
        request,
        "web/archive/catalogue.html",
        {"years": years, "year": year, "headers": HEADERS, "rows": _rows(user, year)},
    )


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def catalogue_csv(request: HttpRequest) -> HttpResponse:
    user = archivist(request)
    year = _year(request, _years(user))
    stream = io.StringIO()
    write_csv(_rows(user, year), stream)
    response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, f"归档文件目录-{year}.csv")


@login_required
@require_safe
def catalogue_xlsx(request: HttpRequest) -> HttpResponse:
    user = archivist(request)
    year = _year(request, _years(user))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalogue.xlsx"
        write_xlsx(_rows(user, year), path, title=f"归档文件目录{year}")
        data = path.read_bytes()
    return _attachment(HttpResponse(data, content_type=XLSX), f"归档文件目录-{year}.xlsx")
