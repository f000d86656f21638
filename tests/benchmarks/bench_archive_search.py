"""Archive search over many archived records (issues 4 and 12): latency of ``search_archive``
for a seeded random sample of terms across kinds and frequency bands, in-process and through
``GET /api/v1/archive/``, against an unindexed ``ILIKE``.

Standalone (own database ``circulation_bench_archive*``, created and migrated when missing; the
rows are kept between runs and rebuilt with ``--reload`` or when the size or data changes)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_archive \\
        BENCH_REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m tests.benchmarks.bench_archive_search [--size small|full] [--write-docs]

Terms (``archive_search_terms``): bigrams chosen evenly across frequency bands, 3–6-character
substrings of real titles and bodies, 文号 fragments, absent terms, and some of them again with a
年度 filter. Each measured call is what ``GET /api/v1/archive/?q=…`` runs: the capped match
count and the first page of 20 (title/文号 matches first, newest first); every answer is checked
against a plan-independent query. Timed calls go round the terms in shuffled rounds (not one term
many times in a row); each term's first call is reported apart, and so is the first search of
the process (new connection, statistics not cached yet).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/circulation_bench_archive"
PREFIX = "circulation_bench_archive"
SIZES = {  # rows, terms per kind, with a 年度 filter, rounds, HTTP rounds, ILIKE terms per kind
    "small": (3_000, 4, 2, 2, 1, 1),
    "full": (300_000, 30, 10, 15, 3, 1),
}
GOAL_P95_MS = 20.0
DATA_VERSION = 3
DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
SECTION = "archive_search"
FIRST_TERM = "安全生产"


def say(line: str) -> None:
    print(line, flush=True)


def configure(url: str) -> None:
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if parts.scheme not in ("postgres", "postgresql") or not name.startswith(PREFIX):
        raise SystemExit(f"refusing {url!r}: use a PostgreSQL database named {PREFIX}*")
    import psycopg
    from psycopg import sql

    admin = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "dbname": "postgres",
    }
    admin["user"] = unquote(parts.username or "postgres")
    if parts.password:
        admin["password"] = unquote(parts.password)
    with psycopg.connect(**admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="circulation.settings_test", DATABASE_URL=url, LOG_LEVEL="WARNING"
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 60)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def load(rows: int, reload: bool) -> Any:
    """The bench organisation with ``rows`` archived records (rebuilt only when needed)."""
    from circulation.archive.models import ArchivedRecord
    from circulation.records.models import Organisation

    marker = f"档案检索基准 v{DATA_VERSION} {rows}"
    org = Organisation.objects.filter(name=marker).first()
    if org and not reload and ArchivedRecord.objects.filter(organisation=org).count() == rows:
        say(f"reusing {rows:,} archived rows")
        return org
    started = time.perf_counter()
    from tests.benchmarks.archive_search_load import build_archived_records, reset

    reset()
    org = build_archived_records(rows, marker=marker)
    say(f"loaded {rows:,} archived rows in {time.perf_counter() - started:.0f} s")
    return org


def wait_for_quiet(seconds: float, threshold: float = 1.0) -> str:
    """Wait (up to ``seconds``) until the 1-minute load average is below ``threshold``: the
    machine is shared with other benchmarks. Returns the load when measuring starts."""
    deadline = time.monotonic() + seconds
    load = Path("/proc/loadavg").read_text().split()[0]
    while float(load) >= threshold and time.monotonic() < deadline:
        time.sleep(5)
        load = Path("/proc/loadavg").read_text().split()[0]
    return load


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _spy_modes(call: Callable[[], Any]) -> tuple[Any, str]:
    """Run ``call``; also the ways (walk/index/narrow) the search ran its queries, in order."""
    from circulation.archive import search_plan

    seen: list[str] = []
    original = search_plan.plan_as

    def spy(mode: str) -> None:
        seen.append(mode)
        original(mode)

    search_plan.plan_as = spy  # type: ignore[assignment]
    try:
        result = call()
    finally:
        search_plan.plan_as = original  # type: ignore[assignment]
    return result, " → ".join(seen) or "—"


def expected_page(records: Any, text: str, limit: int = 20) -> list[int]:
    """The first page by a plan-independent query: every match (full bigram index, ``LIKE``),
    title/文号 matches first, newest first."""
    from django.db.models import BooleanField, ExpressionWrapper

    from circulation.archive.search import _indexed, _like, query_terms

    terms = query_terms(text)
    matches = records.filter(_indexed(None, terms, "search_vector") & _like(terms, "search_text"))
    in_title = ExpressionWrapper(_like(terms, "search_title"), output_field=BooleanField())
    ranked = matches.annotate(in_title=in_title).order_by("-in_title", "-id")
    return list(ranked.values_list("id", flat=True)[:limit])


def first_search_of_process(base: Any) -> float:
    """The first search after connecting, before the planner statistics are cached."""
    from django.db import connection

    from circulation.archive import search_plan
    from circulation.archive.search import search_archive

    connection.close()
    search_plan._cache.clear()
    started = time.perf_counter()
    search_archive(base, FIRST_TERM, limit=20)
    return (time.perf_counter() - started) * 1000


def measure(base: Any, terms: list[Any], rounds: int, seed: int) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.archive.search import COUNT_CAP, ArchiveFilters, search_archive

    calls = {
        term: (lambda t=term: search_archive(base, t.text, ArchiveFilters(year=t.year), limit=20))
        for term in terms
    }
    results: dict[Any, dict[str, Any]] = {}
    for term, call in calls.items():  # each term's first call, then the checks
        started = time.perf_counter()
        page = call()
        first = (time.perf_counter() - started) * 1000
        with CaptureQueriesContext(connection) as queries:
            page, plan = _spy_modes(call)
        records = ArchiveFilters(year=term.year).apply(base)
        want = expected_page(records, term.text)
        got = [record.pk for record in page.results]
        if got != want or page.count != min(term.matches, COUNT_CAP):
            raise SystemExit(f"{term.label}: got {got[:5]}… count {page.count}, want {want[:5]}…")
        if page.count_capped != (term.matches > COUNT_CAP):
            raise SystemExit(f"{term.label}: count_capped {page.count_capped}, {term.matches}")
        results[term] = {
            "term": term,
            "first": first,
            "times": [],
            "plan": plan,
            "queries": len(queries) - plan.count("→") - (plan != "—"),  # without SET LOCAL
        }
    order = list(terms)
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for term in order:
            started = time.perf_counter()
            calls[term]()
            results[term]["times"].append((time.perf_counter() - started) * 1000)
    return [results[term] for term in terms]


def ilike_baseline(base: Any, terms: list[Any], count: int) -> list[dict[str, Any]]:
    """The search without an index (``ILIKE`` on the four fields), for the first ``count``
    terms of each kind: exact count and the 20 newest; its count must equal ours."""
    from django.db.models import Q

    from circulation.archive.search import ArchiveFilters

    rows = []
    for kind in dict.fromkeys(t.kind for t in terms):
        for term in [t for t in terms if t.kind == kind][:count]:
            if " " in term.text or any(ch in term.text for ch in "〔〕"):
                continue  # ILIKE would not normalise punctuation; the index does
            records = ArchiveFilters(year=term.year).apply(base)
            naive = records.filter(
                Q(title__icontains=term.text)
                | Q(doc_number__icontains=term.text)
                | Q(issuer__icontains=term.text)
                | Q(notice__body__icontains=term.text)
            )
            times = []
            for _ in range(2):
                started = time.perf_counter()
                found = naive.count()
                list(naive.order_by("-id")[:20])
                times.append((time.perf_counter() - started) * 1000)
            if found != term.matches:
                raise SystemExit(f"{term.label}: index found {term.matches} rows, ILIKE {found}")
            rows.append({"term": term, "ms": min(times)})
    return rows


def measure_http(org: Any, terms: list[Any], rounds: int, seed: int) -> dict[Any, list[float]]:
    from django.conf import settings

    from tests.benchmarks.archive_search_http import Client, archivist_token, gunicorn

    token = archivist_token(org)
    url = os.environ["DATABASE_URL"]
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    times: dict[Any, list[float]] = {term: [] for term in terms}
    log = Path(tempfile.mkdtemp(prefix="bench_archive_")) / "gunicorn.log"
    with gunicorn(url, redis, log) as (host, port):
        client = Client(host, port, token)
        try:
            for term in terms:  # warm-up round: every term once
                _ms, body = client.search(term.text, term.year)
                if body["count"] != min(term.matches, 200):
                    raise SystemExit(f"HTTP {term.label}: count {body['count']}")
            order = list(terms)
            rng = random.Random(seed + 1)
            for _ in range(rounds):
                rng.shuffle(order)
                for term in order:
                    ms, _body = client.search(term.text, term.year)
                    times[term].append(ms)
        finally:
            client.close()
    del settings
    return times


def summarise(
    results: list[dict[str, Any]], http: dict[Any, list[float]], key: Callable[[Any], str]
) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault(key(r["term"]), []).append(r)
    rows = []
    for label, members in groups.items():
        times = [t for r in members for t in r["times"]]
        firsts = [r["first"] for r in members]
        web = [t for r in members for t in http.get(r["term"], [])]
        rows.append(
            {
                "label": label,
                "terms": len(members),
                "calls": len(times),
                "matches": (
                    min(r["term"].matches for r in members),
                    max(r["term"].matches for r in members),
                ),
                "p50": statistics.median(times),
                "p95": pct(times, 0.95),
                "max": max(times),
                "first_p50": statistics.median(firsts),
                "first_max": max(firsts),
                "http_p50": statistics.median(web) if web else None,
                "http_p95": pct(web, 0.95) if web else None,
                "queries": sorted({r["queries"] for r in members}),
                "worst": max(members, key=lambda r: pct(r["times"], 0.95)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--reload", action="store_true", help="rebuild the rows")
    parser.add_argument("--no-http", action="store_true", help="skip the run through gunicorn")
    parser.add_argument("--seed", type=int, default=12, help="the sample of terms")
    parser.add_argument(
        "--quiet-wait", type=float, default=0.0, help="wait up to this many seconds for load < 1"
    )
    args = parser.parse_args(argv)
    rows, per_kind, filtered, rounds, http_rounds, ilike_terms = SIZES[args.size]
    configure(os.environ.get("DATABASE_URL", DEFAULT_URL))
    org = load(rows, args.reload)

    from circulation.archive.models import ArchivedRecord
    from tests.benchmarks.archive_search_docs import render_section, write_section
    from tests.benchmarks.archive_search_terms import BANDS, KINDS, sample_terms
    from tests.benchmarks.common import calibrate, machine_info

    base = ArchivedRecord.objects.filter(organisation=org).select_related("archived_by")
    started_load = wait_for_quiet(args.quiet_wait)
    calibration = calibrate()
    say(f"BENCH archive_search {calibration.line()}")
    fresh = first_search_of_process(base)
    say(f"sampling terms (seed {args.seed}) …")
    terms = sample_terms(base, per_kind=per_kind, filtered=filtered, seed=args.seed)
    say(f"measuring {len(terms)} terms × {rounds} rounds …")
    results = measure(base, terms, rounds, args.seed)
    http = {} if args.no_http else measure_http(org, terms, http_rounds, args.seed)
    baseline = ilike_baseline(base, terms, ilike_terms)
    end_load = Path("/proc/loadavg").read_text().split()[0]
    kinds = summarise(results, http, lambda t: t.kind)
    kinds.sort(key=lambda r: [*KINDS, "with 年度 filter"].index(r["label"]))
    band_order = [label for label, _, _ in BANDS]
    bands = summarise([r for r in results if r["term"].year is None], http, lambda t: t.band)
    bands.sort(key=lambda r: band_order.index(r["label"]))
    everything = summarise(results, http, lambda t: "all terms")
    for scope, table in (("kind", kinds), ("band", bands), ("pooled", everything)):
        for r in table:
            http_part = (
                f" http_p50_ms={r['http_p50']:.2f} http_p95_ms={r['http_p95']:.2f}"
                if r["http_p95"] is not None
                else ""
            )
            say(
                f"BENCH archive_search rows={rows} {scope}={r['label'].replace(' ', '_')} "
                f"terms={r['terms']} p50_ms={r['p50']:.2f} p95_ms={r['p95']:.2f} "
                f"max_ms={r['max']:.1f} first_p50_ms={r['first_p50']:.2f} "
                f"first_max_ms={r['first_max']:.1f}{http_part}"
            )
    say(f"BENCH archive_search rows={rows} first_search_of_process_ms={fresh:.1f}")
    for b in baseline:
        say(f"BENCH archive_search rows={rows} ilike term={b['term'].text} ms={b['ms']:.0f}")
    met = all(r["p95"] <= GOAL_P95_MS for r in kinds + bands)
    say(
        f"BENCH archive_search goal p95<={GOAL_P95_MS:.0f}ms every band "
        + ("met" if met else "missed")
    )
    if args.write_docs:
        info = machine_info()
        info["load"] = f"{started_load} → {end_load}"
        info["calibration"] = calibration.text()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('archive_archivedrecord'))"
            )
            info["table"] = cursor.fetchone()[0]  # type: ignore[index]
        command = (
            "DATABASE_URL=… .venv/bin/python -m tests.benchmarks.bench_archive_search "
            + " ".join(argv if argv is not None else sys.argv[1:])
        )
        section = render_section(
            kinds=kinds,
            bands=bands,
            pooled=everything[0],
            results=results,
            baseline=baseline,
            info=info,
            rows=rows,
            rounds=rounds,
            http_rounds=0 if args.no_http else http_rounds,
            fresh=fresh,
            command=command.strip(),
        )
        write_section(DOCS, SECTION, section)
        say(f"wrote the {SECTION} section of {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
