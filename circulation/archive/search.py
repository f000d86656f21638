"""Keyword search over the archive (题名, 文号, 责任者, 正文) that works for Chinese.

Chinese has no spaces between words, so a dictionary-free index is used: text is normalised
(:func:`normalise`: NFKC, lower case, every character that is not a letter or digit becomes a
blank) and PostgreSQL indexes the set of its character **bigrams** (plus the last character of
every run) in a generated ``tsvector`` with a GIN index (migration 0002). A two-character term
(数字, 政府) is one index lexeme, a longer one (数字政府) contains all of its bigrams, and the exact
normalised substring (``LIKE``) decides, so results are exact. 文号 fragments work the same way:
``工信〔2022〕`` and ``工信[2022]`` both normalise to ``工信 2022``. Several blank-separated terms
must all match. A term with a run of three characters or more (:func:`trigram_served`) is found
instead through ``pg_trgm`` trigram indexes over the same normalised text (migrations 0009–0010;
the full-text one holds the 年度 too): trigrams keep the characters in order, so its candidates
are about its matches, where the bigram index also hands over every record holding the bigrams
apart. How each query runs (index, walk newest first, or the filters' indexes) is chosen and
enforced by :mod:`circulation.archive.search_plan`.

Ranking: records whose 题名 or 文号 contain the terms come first (their own bigram index,
``title_vector``), then those matching only in 责任者 or 正文; newest first within each group.
Counts stop at :data:`COUNT_CAP` (``count_capped``) so a common term stays fast. The count runs
first and returns each match's id and whether it is in 题名/文号: with at most the cap, those are
all the matches and a page is cut from them and fetched by id; with more, the share of them in
题名/文号 is measured, and the two page queries plan with it. A term of two characters (数字) is
exact in the bigram index, so through the index it needs no ``LIKE`` (:func:`index_is_exact`).
The conditions are written as SQL (:class:`~circulation.archive.search_sql.Sql`) and put into
statements Django compiles once per process (:mod:`circulation.archive.search_sql`).
"""

import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from circulation.archive import search_plan, search_sql
from circulation.archive.models import ArchivedRecord
from circulation.archive.search_plan import COUNT_CAP, Density, Plan, TermPlan
from circulation.archive.search_sql import NOTHING, Sql

MAX_WINDOWED_ROWS = 1000  # a deeper page runs as one query (OFFSET), without a walk window
MAX_TERMS = 8
MAX_TERM_LENGTH = 60
FIELD_SEPARATOR = "\n"  # between fields: never inside a normalised query, so no cross-field match
_TABLE = ArchivedRecord._meta.db_table


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
        runs = term.split()
        for position, run in enumerate(runs):
            if position < len(runs) - 1:  # a blank follows: the text has a run ending so
                lexemes.append(quote(run[-1]))
            elif len(run) == 1:  # a bigram starting with it, or the end of a run
                lexemes.append(quote(run) + ":*")
            lexemes.extend(quote(run[i : i + 2]) for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(lexemes))


def index_is_exact(terms: list[str]) -> bool:
    """True when the bigram index alone decides (no ``LIKE`` needed): every term is one run of
    two characters, so it occurs exactly where its bigram is a lexeme (the generated vector holds
    every bigram of every run). The ``LIKE`` would detoast each candidate's text (2–4 buffers a
    row at 300,000 records) only to agree."""
    return bool(terms) and all(len(term) == 2 and " " not in term for term in terms)


def trigram_served(term: str) -> bool:
    """True when the trigram indexes (``pg_trgm``, migration 0009) serve the term: it has a run
    of three characters or more and every run gives ``pg_trgm`` a trigram — the trigrams hold
    the characters in order, so the candidates are about the matches (the bigram index also
    returns every record holding the bigrams apart: 合力 … 力的 … 的通). A run next to a blank is
    padded (工信 of 工信〔2022〕 gives 「工信 」), but a lone character at either end gives none:
    教〔2015〕 would be found by the trigrams of 2015 alone, in tens of thousands of records,
    where the bigram index has 教 as the end of a run."""
    runs = term.split()
    if not any(len(run) >= 3 for run in runs):
        return False
    inner = runs[1:-1]
    return all(len(run) >= 2 or run in inner for run in runs)


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _column(field: str) -> str:
    return f'"{_TABLE}"."{field}"'


def _like_sql(terms: list[str], field: str) -> Sql:
    """Every term a substring of ``field``, the column written ``(field || '')``: the same
    text, but an expression no index serves and a costlier one to the planner. For 正文
    (``search_text``, usually TOASTed) PostgreSQL then tests the cheap conditions of the row
    first (年度, 保管期限 … and the 题名 exclusion of the other matches) and detoasts only the
    rows that pass them — it otherwise puts this ``LIKE`` first (a 年度 search's count read
    6,316 buffers, now 2,386). For 题名/文号, a recheck of the bigram index's candidates does
    not call in the trigram index too: for 教〔2015〕 (whose 教 gives ``pg_trgm`` nothing) it
    ANDed the trigrams of 2015, in 29,943 titles (8.6 ms of a 16 ms page). Where the trigram
    index is wanted, :func:`_contains` writes the plain column."""
    condition = NOTHING
    for term in terms:
        condition &= Sql(f"({_column(field)} || '') LIKE %s", (_like_pattern(term),))
    return condition


def _contains(field: str, term: str) -> Sql:
    """``field__contains=term`` as the ORM writes it (the trigram index serves it)."""
    return Sql(f"{_column(field)}::text LIKE %s", (_like_pattern(term),))


def _like(terms: list[str], field: str) -> Q:
    """:func:`_like_sql` for the ORM."""
    return _like_sql(terms, field).q()


def _indexed_sql(
    plan: TermPlan | None, terms: list[str], vector: str, *, lean: bool = False
) -> Sql:
    """The GIN condition: every bigram of the terms (with ``lean``, when ``LIKE`` tests the
    candidates after: those not in most records, :attr:`TermPlan.lean_tsquery`)."""
    query = plan.tsquery if plan and plan.tsquery else tsquery_for(terms)
    if lean and plan and plan.lean_tsquery:
        query = plan.lean_tsquery
    return Sql(f"{_column(vector)} @@ %s::tsquery", (query,))


def _indexed(plan: TermPlan | None, terms: list[str], vector: str) -> Q:
    """:func:`_indexed_sql` for the ORM."""
    return _indexed_sql(plan, terms, vector).q()


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
    """One ranked group of matches: its exact condition (LIKE), its index condition, the
    estimated share of records in it, and the share the index reads (its rarest bigram)."""

    like: Sql
    indexed: Sql
    share: float | None
    posting_share: float | None = None
    walk_share: float | None = None  # the share a walk should expect (see TermPlan.likely)
    recheck: Sql | None = None  # with the index, instead of ``like`` (see index_is_exact)
    walk_us: float = search_plan.WALK_US  # a row walked, a candidate fetched (see choose)
    fetch_us: float = search_plan.FETCH_US

    @property
    def via_index(self) -> Sql:
        """The condition as the index runs it: every bigram, then ``LIKE`` unless exact."""
        return self.indexed & (self.like if self.recheck is None else self.recheck)

    def condition(self, mode: str) -> Sql:
        return self.via_index if mode == "index" else self.like


def _id_above(floor: int) -> Sql:
    return Sql(f"{_column('id')} > %s", (floor,))


def _id_at_most(floor: int) -> Sql:
    return Sql(f"{_column('id')} <= %s", (floor,))


@dataclass
class _Search:
    records: QuerySet[ArchivedRecord]
    kept: float = 1.0  # rows the filters keep (estimated)
    total: float = 1.0  # rows in the table (estimated)
    last_id: int = 0  # the newest id (cached): walk windows end there
    mode: str = ""  # the planner settings in force in this transaction
    terms_text: str = ""  # the search's terms, joined
    statements: search_sql.Statements = field(init=False)

    def __post_init__(self) -> None:
        self.statements = search_sql.Statements(self.records)

    def _set(self, mode: str) -> None:
        if mode != self.mode:
            search_plan.plan_as(mode)
            self.mode = mode

    def plan(self, group: _Group, rows_wanted: int | None, *, ordered: bool = True) -> Plan:
        return search_plan.choose(
            rows_wanted,
            group.share,
            self.kept,
            self.total,
            ordered=ordered,
            posting_share=group.posting_share,
            walk_share=group.walk_share,
            walk_us=group.walk_us,
            fetch_us=group.fetch_us,
        )

    def newest(
        self, group: _Group, n: int, plan: Plan, *, ids: bool = False, flag: Sql | None = None
    ) -> list[Any]:
        """Up to ``n`` matches of the group, newest first (ordered by id; with ``ids`` and the
        index, in no order): the plan's way, or a walk of the newest ``plan.window`` rows and
        the index for the older ones. With ``ids``: their ids, or with ``flag`` too, (id,
        whether ``flag`` holds) pairs."""
        statements = self.statements

        def shaped(condition: Sql, order: bool = True) -> list[Any]:
            if not ids:
                return statements.rows(condition, limit=n)
            return statements.ids(condition, ordered=order, limit=n, flag=flag)

        if plan.window is None:
            self._set(plan.mode)
            return shaped(group.condition(plan.mode), order=not ids or plan.mode == "walk")
        floor = self.last_id - plan.window
        self._set("walk")
        found = shaped(group.like & _id_above(floor))
        if len(found) < n:
            self._set("index")
            n -= len(found)
            found += shaped(group.via_index & _id_at_most(floor), order=not ids)
        return found

    def _worth_probing(self, group: _Group, wanted: int) -> bool:
        """A phrase of Chinese characters whose every bigram is frequent enough that, if the
        phrase were as frequent as its rarest bigram, a walk of :data:`PROBE_WINDOW` newest
        rows would find the count's matches: such phrases are mostly as frequent (template
        sentences: 确保数据真实 in 15 % of the records, counted by a walk of about 1,340 rows in
        6 ms against 11 ms through the trigram index, which decodes the posting lists of all
        six trigrams, 45,000 entries each). Digits combine freely (85 and 53 are in many
        numbers, 853 in few), so a term with digits keeps the estimate's way."""
        share = (group.share or 0.0) * self.kept / max(self.total, 1.0)
        if share * search_plan.PROBE_WINDOW < wanted:
            return False
        return not any(ch.isdigit() for ch in self.terms_text)

    def count(self, group: _Group, cap: int, in_title: Sql) -> tuple[Density, list[Any]]:
        """The matches (up to ``cap + 1``) as (id, matches in 题名/文号) pairs, and what they
        say about how many there are. With at most ``cap`` of them they are every match, so
        the pages need no further search; with more, the share of them matching in 题名/文号
        is measured, not estimated."""
        plan = self.plan(group, cap + 1, ordered=False)
        guessed = group.walk_share is not None and group.walk_share < (group.share or 0.0)
        if plan.window is not None and guessed:  # a phrase: its density is a guess, its
            # candidates through the index are at least its matches, so walk only a probe
            plan = Plan("walk", window=min(plan.window, search_plan.PROBE_WINDOW))
        elif guessed and plan.mode == "index" and self._worth_probing(group, cap + 1):
            plan = Plan("walk", window=search_plan.PROBE_WINDOW)
        if plan.mode == "narrow":  # the filters leave few rows: count them all
            self._set("narrow")
            pairs = self.statements.ids(group.like, ordered=False, limit=cap + 1, flag=in_title)
            return Density(float(len(pairs)), exact=len(pairs) <= cap), pairs
        pairs = self.newest(group, cap + 1, plan, ids=True, flag=in_title)
        if len(pairs) <= cap:
            return Density(float(len(pairs)), exact=True), pairs
        found = [pk for pk, _flag in pairs]
        whole = max(self.last_id - search_plan.id_range(_TABLE)[0] + 1, 1)
        if plan.window is None and plan.mode == "index":  # the oldest matches (heap order)
            # Heap order is only about id order: a row inserted later into an old page's
            # free space (id 10,331 on page 189 of the benchmark's table) would stretch the
            # span fivefold. The span of the first nine tenths of them (by id) ignores that.
            kept = sorted(found)[: max(1, len(found) * 9 // 10)]
            first = self.last_id - whole + 1
            span = (kept[-1] - first + 1) * len(found) / len(kept)
        elif plan.window is None or min(found) > self.last_id - plan.window:
            span = self.last_id - min(found) + 1  # the newest matches, walked
        else:  # the window was short of matches: about that density, at least cap + 1
            in_window = sum(1 for pk in found if pk > self.last_id - plan.window)
            density = max(cap + 1.0, in_window * whole / plan.window)
            return Density(density, exact=False), pairs
        return Density((cap + 1) * whole / max(min(span, whole), 1), exact=False), pairs


def _index_condition(
    terms: list[str], plan: TermPlan, field: str, vector: str
) -> tuple[Sql, Sql | None]:
    """How the indexes find the records holding every term in ``field``, and what must still
    be tested on each (None: the exact ``LIKE`` of every term). Terms of three characters or
    more go to the trigram index as a plain ``LIKE`` (exact itself: PostgreSQL rechecks each
    candidate); the others to the bigram index, rechecked unless two characters (exact)."""
    served = [term for term in terms if trigram_served(term)]
    others = [term for term in terms if term not in served]
    if not served:
        exact = index_is_exact(terms)
        return _indexed_sql(plan, terms, vector, lean=not exact), NOTHING if exact else None
    condition = NOTHING
    split = [term for term in served if trigram_pieces(term) != [term]]
    for term in served:
        for piece in trigram_pieces(term):
            condition &= _contains(field, piece)
    recheck = _like_sql(split, field)  # the pieces apart are not the term: test it whole
    if others:
        others_plan = search_plan.plan_terms(others, _TABLE, vector)
        exact = index_is_exact(others)
        condition &= _indexed_sql(others_plan, others, vector, lean=not exact)
        if not exact:
            recheck &= _like_sql(others, field)
    return condition, recheck


def trigram_pieces(term: str) -> list[str]:
    """The substrings of a trigram-served term whose ``LIKE`` the trigram index is asked for:
    each run, the blank after it kept (工信 of 工信 2022: 「工信 」), the blank before it only
    if the run is shorter than three characters. pg_trgm pads a word after a blank with two
    blanks, and the trigrams 「  2」 and 「 20」 of a year are in nearly every record: for
    舞政办〔2017〕 they were two of the four posting lists of 300,000 entries that the index
    decoded for its 999 candidates (4.8 ms of a 6 ms count). Every piece is in every match,
    so the candidates are still a superset of the matches; the term is tested whole after."""
    runs = term.split()
    if len(runs) == 1:
        return [term]
    pieces = []
    for position, run in enumerate(runs):
        before = " " if position > 0 and len(run) < 3 else ""
        after = " " if position < len(runs) - 1 else ""
        pieces.append(before + run + after)
    return pieces


def _groups(terms: list[str]) -> tuple[_Group, _Group, _Group]:
    """Matches in 题名/文号, matches anywhere, and matches anywhere but in 题名/文号 (their
    shares as the statistics estimate them; see :func:`_learned` for after the count)."""
    in_title, anywhere = _like_sql(terms, "search_title"), _like_sql(terms, "search_text")
    title_plan = search_plan.plan_terms(terms, _TABLE, "title_vector")
    all_plan = search_plan.plan_terms(terms, _TABLE, "search_vector")
    title_share, all_share = title_plan.share, all_plan.share
    rest_share = None if all_share is None else max(all_share - (title_share or 0.0), 0.0)
    title_indexed, title_recheck = _index_condition(
        terms, title_plan, "search_title", "title_vector"
    )
    all_indexed, all_recheck = _index_condition(terms, all_plan, "search_text", "search_vector")
    title_likely, all_likely = title_plan.likely, all_plan.likely
    light, heavy = search_plan.LIGHT_FETCH_US, search_plan.FETCH_US
    # a candidate's 正文 is read unless the bigram index alone decides (two-character terms)
    fetch_us = light if index_is_exact(terms) else heavy
    return (
        _Group(
            in_title,
            title_indexed,
            title_share,
            title_share,
            title_likely,
            recheck=title_recheck,
            walk_us=search_plan.TITLE_WALK_US,  # 题名/文号 are short and stored in the row
            fetch_us=light,
        ),
        _Group(
            anywhere,
            all_indexed,
            all_share,
            all_share,
            all_likely,
            all_recheck,
            fetch_us=fetch_us,
        ),
        _Group(
            anywhere & ~in_title,
            all_indexed,
            rest_share,
            all_share,
            all_likely,
            None if all_recheck is None else all_recheck & ~in_title,
            fetch_us=fetch_us,
        ),
    )


def _learned(
    title: _Group, rest: _Group, density: Density, kept: float, pairs: list[Any]
) -> tuple[_Group, _Group]:
    """The title and other groups' shares, knowing from the count how many match anywhere
    and which of its (more than ``cap``) matches are in 题名/文号."""
    if title.share is None:
        return title, rest
    anywhere = min(density.matches / max(kept, 1.0), 1.0)
    if pairs:  # measured: the share of the count's matches in 题名/文号 (at least half of one)
        in_title = sum(1 for _pk, flag in pairs if flag)
        low = 0.5 / len(pairs)
        title_share = anywhere * max(in_title / len(pairs), low)
        rest_share = anywhere * max(1 - in_title / len(pairs), low)
        return (
            replace(title, share=title_share, walk_share=None),
            replace(rest, share=rest_share, walk_share=None),
        )
    title_share = min(title.share, anywhere)
    title_likely = min(title.walk_share or title_share, title_share)
    # Few title matches leave most of the others to the second group; many, and it is rarely
    # reached. Half of them at least keeps a wrong title estimate from starving it.
    rest_share = max(anywhere - title_likely, anywhere / 2)
    return (
        replace(title, share=title_share, walk_share=title_likely),
        replace(rest, share=rest_share, walk_share=None),
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


def _page(search: _Search, group: _Group, offset: int, limit: int) -> list[ArchivedRecord]:
    wanted = offset + limit
    plan = search.plan(group, wanted)
    if wanted > MAX_WINDOWED_ROWS and plan.window is not None:
        plan = Plan("walk")  # a deep page: one query with an OFFSET
    if plan.window is None:
        search._set(plan.mode)
        condition = group.condition(plan.mode)
        return search.statements.rows(condition, offset=offset, limit=limit)
    return search.newest(group, wanted, plan)[offset:]


def _search(search: _Search, terms: list[str], offset: int, limit: int, cap: int) -> SearchPage:
    statements = search.statements
    search.kept = search_plan.estimated_rows(
        search.records, (statements.ids_sql, statements.ids_params)
    )
    search.total = search_plan.table_rows(_TABLE)
    search.last_id = search_plan.id_range(_TABLE)[1]
    search.terms_text = " ".join(terms)
    title, anywhere, rest = _groups(terms)
    density, pairs = search.count(anywhere, cap, title.like)
    count = min(int(density.matches), cap) if density.exact else cap
    capped = not density.exact
    if density.exact:  # every match is known: title/文号 matches first, newest first
        ranked = [pk for pk, _flag in sorted(pairs, key=lambda pair: (not pair[1], -pair[0]))]
        wanted = ranked[offset : offset + limit]
        if not wanted:
            return SearchPage([], count, False)
        rows = {record.pk: record for record in search.statements.by_ids(wanted)}
        return SearchPage([rows[pk] for pk in wanted], count, False)
    title, rest = _learned(title, rest, density, search.kept, pairs)
    first = _page(search, title, offset, limit)
    if len(first) == limit:
        return SearchPage(first, count, capped)
    # The title group ends on this page (or before it): continue with the other matches.
    if first or offset == 0:
        title_total = offset + len(first)
    else:  # a page beyond the title group: how many are there?
        plan = search.plan(title, None, ordered=False)
        search._set(plan.mode)
        title_total = search.statements.count(title.condition(plan.mode))
    rest_offset = max(0, offset - title_total)
    second = _page(search, rest, rest_offset, limit - len(first))
    return SearchPage(first + second, count, capped)
