"""How to run one archive search on PostgreSQL — and telling the planner so.

PostgreSQL estimates an AND of bigrams as if they were independent, but the bigrams of one word
are not (字政 nearly always comes with 数字 and 政府): it underestimates 数字政府 a hundredfold and
picks a bitmap scan that visits every match to sort them, or evaluates ``@@`` as a filter on the
TOASTed ``tsvector`` — tens of milliseconds either way. So the search estimates for itself:

- the share of records containing the terms, from the column's own statistics
  (``pg_stats.most_common_elems``): for a two-character run (one bigram) or a one-character run
  that is an estimate; for a longer run only an upper bound — its rarest bigram — since the
  bigrams of 保障的意 may each be common and the phrase rare;
- how many rows the filters (年度, 保管期限, 责任者, 机构) leave, from the planner (``EXPLAIN``);
- and, from the first query of a search (the capped count), how dense the matches really are
  (``search._Search.count``): an exact count when there are at most :data:`COUNT_CAP` matches, else
  the id span over which the first ``COUNT_CAP + 1`` were found (archive rows are never updated
  or deleted, so their physical order is their id order);

and runs each query in one of three ways, enforced with ``SET LOCAL`` planner settings:

``walk``    newest rows first along the primary key, testing ``LIKE`` — only over a window of the
            newest rows (:attr:`Plan.window`, a few times the rows the estimate expects to walk);
            matches older than the window come from the index, so a wrong estimate costs at most
            the window;
``index``   the GIN indexes: every bigram of the terms (GIN intersects them, skipping through
            the common ones), or for a term of three characters or more its trigrams
            (``pg_trgm``), ``LIKE`` on the candidates;
``narrow``  the filters' own b-tree indexes and ``LIKE``, when they leave few rows;

whichever a small cost model (:func:`choose`) says is cheapest.

``LIKE`` on the normalised text makes every way exact; they differ only in cost.
"""

import json
import math
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

COUNT_CAP = 200
# Costs in microseconds, measured on the benchmark machine (docs/benchmarks.md): a row walked
# (LIKE on the normalised text, often compressed), a GIN posting-list entry read, a candidate
# row fetched at random and tested.
WALK_US, POSTING_US, FETCH_US = 2.0, 0.25, 3.0
# The same through 题名/文号 only (``search_title``: short, stored in the row, six rows a heap
# page) or when the index alone is exact: no 正文 to detoast. At 300,000 records a walk of the
# whole text reads about 2.3 buffers a row and a fetched candidate 3.5–4.5 (heap page, TOAST
# index and chunks); a title walk about 0.2 and a candidate about 1.4 (EXPLAIN BUFFERS).
TITLE_WALK_US, LIGHT_FETCH_US = 0.25, 1.2
WALK_RISK = 1.5  # a walk's cost rests on the matches being spread evenly, the index's does not
COMMON_LEXEME = 0.8  # a bigram in this share of the records is left to LIKE (TermPlan.lean)
PROBE_WINDOW = 2_000  # rows: the most a count walks on a guess (a phrase's likely share)
WINDOW_FACTOR = 4.0  # a walk goes at most this many times the rows it is expected to need
MIN_WINDOW = 500  # rows: a window smaller than this is not worth a second query
STATS_TTL_SECONDS = 300.0
MAX_CACHED = 2_000  # entries: statistics, and the estimates of the filters searched with
_cache: dict[str, tuple[float, Any]] = {}
_OFF = ("enable_seqscan", "enable_bitmapscan", "enable_indexscan", "enable_indexonlyscan")
_MODES = {
    "walk": {"enable_seqscan", "enable_bitmapscan"},
    "index": {"enable_seqscan", "enable_indexscan", "enable_indexonlyscan"},
    "narrow": {"enable_seqscan"},
}


@dataclass(frozen=True)
class TermPlan:
    tsquery: str  # every bigram of every run (and 'x':* for a one-character run), AND
    share: float | None  # estimated share of rows containing all the terms; None: no statistics
    bound_only: bool  # share is only an upper bound (a run of three or more characters)
    independent: float | None = None  # the share if the bigrams were independent (a low guess)
    lean_tsquery: str = ""  # without the bigrams in most records, when ``LIKE`` decides after

    @property
    def likely(self) -> float | None:
        """The share to expect: the estimate, or for a longer run the geometric mean of its
        bounds — the bigrams of a phrase are neither independent nor all in the same rows."""
        if self.share is None or not self.bound_only or self.independent is None:
            return self.share
        return math.sqrt(self.share * self.independent)


@dataclass(frozen=True)
class Plan:
    mode: str  # walk, index or narrow
    window: int | None = None  # walk: the newest rows to walk before the index takes over


@dataclass(frozen=True)
class Density:
    """What the count taught: matches among the filtered rows (exact when ``exact``)."""

    matches: float
    exact: bool


def _cached(key: str, load: Any) -> Any:
    hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = load()
    _cache[key] = (time.monotonic() + STATS_TTL_SECONDS, value)
    return value


def _frequencies(table: str, column: str) -> dict[str, float]:
    def load() -> dict[str, float]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
                [table, column],
            )
            row = cursor.fetchone()
        if not row or not row[0] or not row[1]:
            return {}
        return dict(zip(row[0], row[1][: len(row[0])], strict=True))

    freqs: dict[str, float] = _cached(f"{connection.alias}:{table}.{column}", load)
    return freqs


def table_rows(table: str) -> float:
    def load() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
        return max(float(row[0]) if row else 0.0, 1.0)

    rows: float = _cached(f"{connection.alias}:{table}:rows", load)
    return rows


def id_range(table: str) -> tuple[int, int]:
    """The lowest and highest id (cached like the statistics: a walk window computed from a
    stale highest id only grows by the rows added since, and stays exact)."""

    def load() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT min(id), max(id) FROM "{table}"')  # noqa: S608 - our table
            row = cursor.fetchone()
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    bounds: tuple[int, int] = _cached(f"{connection.alias}:{table}:ids", load)
    return bounds


def estimated_rows(
    records: QuerySet[Any], ids_sql: tuple[str, tuple[Any, ...]] | None = None
) -> float:
    """The planner's estimate of the rows the filters keep, cached like the statistics it comes
    from (keyed by the statement and its parameters): one ``EXPLAIN`` fewer per search. Only
    the ids are selected: the same conditions and estimate, without compiling every column of
    the records and of their ``select_related`` rows for the key (``ids_sql``: that statement,
    if the caller has compiled it already)."""
    ids = records.order_by().values_list("pk")
    sql, params = ids_sql if ids_sql is not None else ids.query.sql_with_params()

    def load() -> float:
        plan = json.loads(ids.explain(format="json"))
        return float(plan[0]["Plan"]["Plan Rows"])

    if len(_cache) > MAX_CACHED:  # many different filters: forget them all, reload on demand
        _cache.clear()
    rows: float = _cached(f"{connection.alias}:explain:{sql}:{params!r}", load)
    return rows


def quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def plan_terms(terms: list[str], table: str, column: str) -> TermPlan:
    freqs = _frequencies(table, column)
    floor = min(freqs.values(), default=0.0) / 2  # unlisted lexemes are rarer than every listed
    lexemes: list[str] = []
    plain: list[str] = []  # the lexemes unquoted
    prefixes: list[str] = []  # one-character runs: every bigram starting with the character
    share, independent, bound_only = 1.0, 1.0, False
    for term in terms:
        runs = term.split()
        for position, run in enumerate(runs):
            # A run followed by a blank (工信 of 工信〔2022〕) ends a run of the text, whose last
            # character is a lexeme of its own: exact, and rarer than any bigram of digits.
            ending = [run[-1]] if position < len(runs) - 1 else []
            if len(run) == 1 and not ending:  # a bigram starting with it, or the end of a run
                prefixes.append(quote_lexeme(run) + ":*")
                listed = sum(f for lexeme, f in freqs.items() if lexeme.startswith(run))
                share *= min(1.0, listed or floor)
                independent *= min(1.0, listed or floor)
                continue
            grams = ending + list(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
            lexemes.extend(quote_lexeme(gram) for gram in grams)
            plain.extend(grams)
            share *= min(freqs.get(gram, floor) for gram in grams)
            independent *= math.prod(freqs.get(gram, floor) for gram in grams)
            bound_only = bound_only or len(grams) > 1
    # A prefix (政:* of 政〔2018〕) ORs hundreds of posting lists: only when nothing else is asked.
    tsquery = " & ".join(dict.fromkeys(lexemes or prefixes))
    if not freqs:
        return TermPlan(tsquery, None, bound_only)
    # A bigram in most records (20 of every year) barely narrows the candidates, but the index
    # decodes its whole posting list: 教〔2015〕's '20' (every record) and '01' (55 %).
    lean = [gram for gram in dict.fromkeys(plain) if freqs.get(gram, floor) < COMMON_LEXEME]
    if plain and not lean:
        lean = [min(plain, key=lambda gram: freqs.get(gram, floor))]
    lean_tsquery = " & ".join(quote_lexeme(gram) for gram in lean) if lean else tsquery
    return TermPlan(tsquery, share, bound_only, independent, lean_tsquery)


def choose(
    rows_wanted: int | None,
    share: float | None,
    kept: float,
    total: float,
    *,
    ordered: bool,
    posting_share: float | None = None,
    walk_share: float | None = None,
    walk_us: float = WALK_US,
    fetch_us: float = FETCH_US,
) -> Plan:
    """The cheapest way for a query wanting ``rows_wanted`` matches (None: all, a count) of a
    group with ``share`` of the table, after filters that keep ``kept`` of ``total`` rows.
    ``posting_share``: the share of the table the index reads (the rarest bigram), if not
    ``share``; ``walk_share``: the share a walk should expect, if not ``share``; ``walk_us`` and
    ``fetch_us``: a row walked and a candidate fetched, for the group's text."""
    costs = {"narrow": kept * walk_us * 1.25 if kept < total * 0.9 else float("inf")}
    if share is None:  # no statistics yet (a new or small archive): the index is always safe
        costs["index"] = float("inf") if kept < 500 else 0.0
        return Plan(min(costs, key=lambda mode: costs[mode]))
    matches = max(share * kept, 1e-9)
    wanted = matches if rows_wanted is None else min(rows_wanted, matches)
    expected = max((share if walk_share is None else min(walk_share, share)) * kept, 1e-9)
    walked = min(total, min(wanted, expected) * total / expected)
    costs["walk"] = walked * walk_us * WALK_RISK
    fetched = matches if ordered or rows_wanted is None else wanted
    read = (share if posting_share is None else posting_share) * total
    costs["index"] = read * POSTING_US + fetched * fetch_us
    mode = min(costs, key=lambda mode: costs[mode])
    if mode != "walk" or walked >= total:
        return Plan(mode)
    return Plan("walk", window=max(MIN_WINDOW, round(walked * WINDOW_FACTOR)))


def plan_as(mode: str) -> None:
    """The next queries of this transaction run the given way (``SET LOCAL``). JIT is off: the
    disabled paths' penalty cost would trigger it for a two-millisecond query."""
    settings = [f"{name} = {'off' if name in _MODES[mode] else 'on'}" for name in _OFF]
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET LOCAL {s}" for s in [*settings, "jit = off"]))


def reset_plan() -> None:
    """Back to the session's planner settings for the rest of the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in (*_OFF, "jit")))
