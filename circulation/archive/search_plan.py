"""How to run one archive search on PostgreSQL — and telling the planner so.

PostgreSQL estimates an AND of bigrams as if they were independent, but the bigrams of one word
are not (字政 nearly always comes with 数字 and 政府): it underestimates 数字政府 a hundredfold and
picks a bitmap scan that visits every match to sort them, or evaluates ``@@`` as a filter on the
TOASTed ``tsvector`` — tens of milliseconds either way. So the search estimates for itself:

- the share of records containing the terms, from the column's own statistics
  (``pg_stats.most_common_elems``): the rarest bigram of each run, multiplied across runs;
- how many rows the filters (年度, 保管期限, 责任者, 机构) leave, from the planner (``EXPLAIN``);

and runs each query in one of three ways, enforced with ``SET LOCAL`` planner settings:

``walk``    newest rows first along the primary key, testing ``LIKE`` (≈ wanted / density rows);
``index``   the GIN index with the rarest bigram of each run, ``LIKE`` on its candidates;
``narrow``  the filters' own b-tree indexes and ``LIKE``, when they leave few rows;

whichever a small cost model (:func:`choose_mode`) says is cheapest.

``LIKE`` on the normalised text makes every way exact; they differ only in cost.
"""

import json
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# Costs in microseconds, measured on the benchmark machine (docs/benchmarks.md): a row walked
# (LIKE on the inline text), a GIN posting-list entry read, a candidate row fetched at random.
WALK_US, POSTING_US, FETCH_US = 2.0, 0.12, 4.0
STATS_TTL_SECONDS = 300.0
_cache: dict[str, tuple[float, Any]] = {}
_OFF = ("enable_seqscan", "enable_bitmapscan", "enable_indexscan", "enable_indexonlyscan")
_MODES = {
    "walk": {"enable_seqscan", "enable_bitmapscan"},
    "index": {"enable_seqscan", "enable_indexscan", "enable_indexonlyscan"},
    "narrow": {"enable_seqscan"},
}


@dataclass(frozen=True)
class TermPlan:
    lexemes: list[str]  # rarest bigram per run (quoted), or 'x':* for a one-character run
    share: float | None  # estimated share of rows containing all the terms; None: no statistics


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


def estimated_rows(records: QuerySet[Any]) -> float:
    plan = json.loads(records.explain(format="json"))
    return float(plan[0]["Plan"]["Plan Rows"])


def quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def plan_terms(terms: list[str], table: str, column: str) -> TermPlan:
    freqs = _frequencies(table, column)
    floor = min(freqs.values(), default=0.0) / 2  # unlisted lexemes are rarer than every listed
    lexemes: list[str] = []
    share = 1.0
    for term in terms:
        for run in term.split():
            if len(run) == 1:
                lexemes.append(quote_lexeme(run) + ":*")
                listed = sum(f for lexeme, f in freqs.items() if lexeme.startswith(run))
                share *= min(1.0, listed or floor)
                continue
            bigrams = sorted({run[i : i + 2] for i in range(len(run) - 1)})
            rarest = min(bigrams, key=lambda b: freqs.get(b, floor))
            lexemes.append(quote_lexeme(rarest))
            share *= freqs.get(rarest, floor)
    return TermPlan(list(dict.fromkeys(lexemes)), share if freqs else None)


def choose_mode(
    rows_wanted: int | None, share: float | None, kept: float, total: float, *, ordered: bool
) -> str:
    """The cheapest way for a query wanting ``rows_wanted`` matches (None: all, a count) of a
    group with ``share`` of the table, after filters that keep ``kept`` of ``total`` rows."""
    costs = {"narrow": kept * WALK_US * 1.25 if kept < total * 0.9 else float("inf")}
    if share is None:  # no statistics yet (a new or small archive): the index is always safe
        costs["index"] = float("inf") if kept < 500 else 0.0
        return min(costs, key=lambda mode: costs[mode])
    matches = max(share * kept, 1e-9)
    wanted = matches if rows_wanted is None else min(rows_wanted, matches)
    costs["walk"] = min(total, wanted * total / matches) * WALK_US
    fetched = matches if ordered or rows_wanted is None else wanted
    costs["index"] = share * total * POSTING_US + fetched * FETCH_US
    return min(costs, key=lambda mode: costs[mode])


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
