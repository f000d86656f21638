"""Keyword search over the archive (题名, 文号, 责任者, 正文) that works for Chinese.

Chinese has no spaces between words, so a dictionary-free index is used: text is normalised
(:func:`normalise`: NFKC, lower case, every character that is not a letter or digit becomes a
blank) and PostgreSQL indexes the set of its character **bigrams** (plus the last character of
every run) in a generated ``tsvector`` with a GIN index (migration 0002). A two-character term
(数字, 政府) is one index lexeme, a longer one (数字政府) contains all of its bigrams, and the exact
normalised substring (``LIKE``) decides, so results are exact. 文号 fragments work the same way:
``工信〔2022〕`` and ``工信[2022]`` both normalise to ``工信 2022``. Several blank-separated terms
must all match. How each query runs (index, walk newest first, or the filters' indexes) is chosen
and enforced by :mod:`circulation.archive.search_plan`.

Ranking: records whose 题名 or 文号 contain the terms come first (their own bigram index,
``title_vector``), then those matching only in 责任者 or 正文; newest first within each group.
Counts stop at :data:`COUNT_CAP` (``count_capped``) so a common term stays fast.

Other databases (SQLite in development) fall back to a ``LIKE`` scan with the same semantics.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from circulation.archive import search_plan
from circulation.archive.models import ArchivedRecord
from circulation.archive.search_plan import TermPlan

COUNT_CAP = 200
MAX_TERMS = 8
MAX_TERM_LENGTH = 60
FIELD_SEPARATOR = "\n"  # between fields: never inside a normalised query, so no cross-field match
_TABLE = ArchivedRecord._meta.db_table
_T = TypeVar("_T")


def _normalise_one(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def normalise(*parts: str) -> str:
    """Each part normalised (letters and digits, single blanks), joined by a line break."""
    return FIELD_SEPARATOR.join(p for p in (_normalise_one(part) for part in parts) if p)


def search_fields(*, title: str, doc_number: str, issuer: str, body: str) -> dict[str, str]:
    """The two stored search columns of an archive record."""
    return {
        "search_title": normalise(title, doc_number),
        "search_text": normalise(title, doc_number, issuer, body),
    }


def query_terms(q: str) -> list[str]:
    """Blank-separated terms of a query, normalised, deduplicated, at most :data:`MAX_TERMS`."""
    terms: list[str] = []
    for raw in (q or "").split():
        term = _normalise_one(raw)[:MAX_TERM_LENGTH].strip()
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def tsquery_for(terms: list[str]) -> str:
    """The full bigram ``tsquery`` (AND) that every record containing all the terms matches."""
    quote = search_plan.quote_lexeme
    lexemes: list[str] = []
    for term in terms:
        for run in term.split():
            if len(run) == 1:  # a bigram starting with it, or the end of a run
                lexemes.append(quote(run) + ":*")
            else:
                lexemes.extend(quote(run[i : i + 2]) for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(lexemes))


def _like(terms: list[str], field: str) -> Q:
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{field}__contains": term})
    return condition


def _indexed(plan: TermPlan | None, terms: list[str], vector: str) -> Q:
    """The GIN condition (PostgreSQL): the plan's rarest bigrams, or all of them."""
    if connection.vendor != "postgresql":
        return Q()
    query = " & ".join(plan.lexemes) if plan and plan.lexemes else tsquery_for(terms)
    return Q(
        RawSQL(  # noqa: S611 - fixed column names; the query text is a bound parameter
            f'"{_TABLE}"."{vector}" @@ %s::tsquery', [query], output_field=BooleanField()
        )
    )


@dataclass(frozen=True)
class ArchiveFilters:
    year: int | None = None
    retention: str | None = None
    issuer: str | None = None
    unit: str | None = None

    def apply(self, records: QuerySet[ArchivedRecord]) -> QuerySet[ArchivedRecord]:
        if self.year is not None:
            records = records.filter(year=self.year)
        if self.retention:
            records = records.filter(retention=self.retention)
        if self.issuer:
            records = records.filter(issuer=self.issuer.strip())
        if self.unit:
            records = records.filter(unit_code=self.unit.strip().upper())
        return records


@dataclass(frozen=True)
class SearchPage:
    results: list[ArchivedRecord]
    count: int
    count_capped: bool


def _capped_count(records: QuerySet[Any], cap: int) -> tuple[int, bool]:
    found = records.order_by()[: cap + 1].count()
    return min(found, cap), found > cap


@dataclass(frozen=True)
class _Group:
    """One ranked group of matches: its exact condition (LIKE), its index condition, and the
    estimated share of records in it."""

    like: Q
    indexed: Q
    share: float | None


@dataclass
class _Search:
    records: QuerySet[ArchivedRecord]
    kept: float = 1.0  # rows the filters keep (estimated)
    total: float = 1.0  # rows in the table (estimated)
    mode: str = ""  # the planner settings in force in this transaction

    def run(
        self,
        group: _Group,
        rows_wanted: int | None,
        query: Callable[[QuerySet[Any]], _T],
        *,
        ordered: bool = True,
    ) -> _T:
        """Run ``query`` on the group's records, choosing and enforcing the cheapest way."""
        if connection.vendor != "postgresql":
            return query(self.records.filter(group.like))
        mode = search_plan.choose_mode(
            rows_wanted, group.share, self.kept, self.total, ordered=ordered
        )
        condition = group.indexed & group.like if mode == "index" else group.like
        if mode != self.mode:
            search_plan.plan_as(mode)
            self.mode = mode
        return query(self.records.filter(condition))


def _groups(terms: list[str]) -> tuple[_Group, _Group, _Group]:
    """Matches in 题名/文号, matches anywhere, and matches anywhere but in 题名/文号."""
    in_title, anywhere = _like(terms, "search_title"), _like(terms, "search_text")
    title_plan = all_plan = None
    if connection.vendor == "postgresql":
        title_plan = search_plan.plan_terms(terms, _TABLE, "title_vector")
        all_plan = search_plan.plan_terms(terms, _TABLE, "search_vector")
    title_share = title_plan.share if title_plan else None
    all_share = all_plan.share if all_plan else None
    rest_share = None if all_share is None else max(all_share - (title_share or 0.0), 0.0)
    all_indexed = _indexed(all_plan, terms, "search_vector")
    return (
        _Group(in_title, _indexed(title_plan, terms, "title_vector"), title_share),
        _Group(anywhere, all_indexed, all_share),
        _Group(anywhere & ~in_title, all_indexed, rest_share),
    )


def search_archive(
    base: QuerySet[ArchivedRecord],
    q: str = "",
    filters: ArchiveFilters | None = None,
    *,
    offset: int = 0,
    limit: int = 20,
    cap: int = COUNT_CAP,
) -> SearchPage:
    """One page of ``base`` (already limited to what the caller may see) matching ``q``.

    Records matching in 题名/文号 come first, then the rest; newest first within each group.
    """
    records = (filters or ArchiveFilters()).apply(base)
    terms = query_terms(q)
    if not terms:
        count, capped = _capped_count(records, cap)
        page = list(records.order_by("-id")[offset : offset + limit])
        return SearchPage(page, count, capped)
    outer = connection.in_atomic_block
    search = _Search(records)
    with transaction.atomic():  # one transaction: the SET LOCAL planner settings end with it
        try:
            return _search(search, terms, offset, limit, cap)
        finally:
            if outer and search.mode:  # an enclosing transaction goes on: restore the planner
                search_plan.reset_plan()


def _search(search: _Search, terms: list[str], offset: int, limit: int, cap: int) -> SearchPage:
    if connection.vendor == "postgresql":
        search.kept = search_plan.estimated_rows(search.records)
        search.total = search_plan.table_rows(_TABLE)
    title, anywhere, rest = _groups(terms)
    count, capped = search.run(anywhere, cap + 1, lambda qs: _capped_count(qs, cap), ordered=False)
    wanted = offset + limit
    first = search.run(title, wanted, lambda qs: list(qs.order_by("-id")[offset:wanted]))
    if len(first) == limit:
        return SearchPage(first, count, capped)
    # The title group ends on this page (or before it): continue with the other matches.
    title_total = offset + len(first) if first else search.run(title, None, lambda qs: qs.count())
    rest_offset = max(0, offset - title_total)
    rest_wanted = rest_offset + limit - len(first)
    second = search.run(
        rest, rest_wanted, lambda qs: list(qs.order_by("-id")[rest_offset:rest_wanted])
    )
    return SearchPage(first + second, count, capped)
