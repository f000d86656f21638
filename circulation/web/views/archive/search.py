"""``/archive/search/``: one box over 题名, 文号, 责任者 and 正文 (two-character terms such as 数字
work: ``circulation.archive.search``), filters for 年度, 保管期限, 责任者 and unit, the matched
words highlighted (escaped first, then wrapped in ``<mark>``), 20 hits a page."""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from circulation.archive.access import archive_records
from circulation.archive.codes import Retention, parse_retention
from circulation.archive.models import ArchivedRecord
from circulation.archive.search import COUNT_CAP, ArchiveFilters, query_terms, search_archive
from circulation.records.models import Notice, Unit
from circulation.web.views.archive.common import archivist, organisation_id

PAGE_SIZE = 20
MAX_PAGE = 500
SNIPPET = 40  # characters of 正文 shown either side of the first match
YEARS = (1949, 2100)  # as the API (circulation.api.params.YEAR_RANGE)


@dataclass(frozen=True)
class Hit:
    record: ArchivedRecord
    title: SafeString
    doc_number: SafeString
    issuer: SafeString
    snippet: SafeString


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    """The terms' runs (a 文号 fragment 工信〔2022〕 is the runs 工信 and 2022), longest first."""
    runs = sorted({run for term in terms for run in term.split()}, key=len, reverse=True)
    if not runs:
        return None
    return re.compile("|".join(re.escape(run) for run in runs), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """``text`` escaped, each match wrapped in ``<mark>`` (only our tag is unescaped)."""
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    end = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[end : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        end = match.end()
    parts.append(escape(text[end:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of user text is escaped above


def snippet(body: str, pattern: re.Pattern[str] | None) -> SafeString:
    """The 正文 around its first match (nothing when the body does not match)."""
    match = pattern.search(body) if pattern and body else None
    if match is None:
        return mark_safe("")
    start, stop = max(0, match.start() - SNIPPET), match.end() + SNIPPET
    text = ("…" if start else "") + body[start:stop] + ("…" if stop < len(body) else "")
    return highlight(" ".join(text.split()), pattern)


def _int(value: str, low: int, high: int) -> int | None:
    return int(value) if value.isdigit() and low <= int(value) <= high else None


@login_required
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    user = archivist(request)
    get = request.GET
    q = get.get("q", "")[:300]
    year_text = get.get("year", "").strip()[:6]
    retention_text = get.get("retention", "").strip()[:10]
    issuer = get.get("issuer", "").strip()[:200]
    unit = get.get("unit", "").strip()[:16]
    errors: dict[str, str] = {}
    year = _int(year_text, *YEARS) if year_text else None
    if year_text and year is None:
        errors["year"] = _("年度应为 %(low)s–%(high)s 之间的四位数字") % {
            "low": YEARS[0],
            "high": YEARS[1],
        }
    retention = parse_retention(retention_text) if retention_text else None
    if retention_text and retention is None:
        errors["retention"] = _("保管期限只能是永久、定期30年或定期10年")
    page = _int(get.get("page", "1"), 1, MAX_PAGE) or 1
    searched = bool(q.strip() or year or retention or issuer or unit)
    hits: list[Hit] = []
    found: Any = None
    if searched and not errors:
        filters = ArchiveFilters(year=year, retention=retention, issuer=issuer, unit=unit)
        found = search_archive(
            archive_records(user), q, filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        pattern = _pattern(query_terms(q))
        bodies = dict(
            Notice.objects.filter(pk__in=[r.notice_id for r in found.results]).values_list(
                "pk", "body"
            )
        )
        hits = [
            Hit(
                record=r,
                title=highlight(r.title, pattern),
                doc_number=highlight(r.doc_number, pattern),
                issuer=highlight(r.issuer, pattern),
                snippet=snippet(bodies.get(r.notice_id, ""), pattern),
            )
            for r in found.results
        ]
    query = get.copy()
    query.pop("page", None)
    more = found is not None and (found.count_capped or page * PAGE_SIZE < found.count)
    return render(
        request,
        "web/archive/search.html",
        {
            "q": q,
            "year": year_text,
            "retention": retention or retention_text,
            "issuer": issuer,
            "unit": unit,
            "errors": errors,
            "searched": searched,
            "found": found,
            "hits": hits,
            "page": page,
            "start": (page - 1) * PAGE_SIZE + 1,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if more and page < MAX_PAGE else None,
            "query": query.urlencode(),
            "cap": COUNT_CAP,
            "retentions": Retention.choices,
            "units": Unit.objects.filter(organisation_id=organisation_id(user))
            .only("code", "name")
            .order_by("sort_order", "code"),
        },
    )
