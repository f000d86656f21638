"""Archive search over many archived records (issue 4): p50/p95 of ``search_archive`` for
two-character terms, a four-character term and 文号 fragments, against an unindexed ``ILIKE``.

Standalone (own database ``circulation_bench_archive``, created and migrated when missing; the
rows are kept between runs and rebuilt with ``--reload`` or when the size changes)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_archive \\
        .venv/bin/python -m tests.benchmarks.bench_archive_search [--size small|full] [--write-docs]

Each measured call is what ``GET /api/v1/archive/?q=…`` runs: the capped match count and the
first page of 20 (title/文号 matches first, newest first). The baseline is the naive search an
app would write without an index: ``title/doc_number/issuer/notice.body ILIKE '%term%'`` with
an exact count and the first 20 newest — a sequential scan.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/circulation_bench_archive"
PREFIX = "circulation_bench_archive"
SIZES = {"small": (3_000, 15, 3), "full": (300_000, 200, 10)}  # rows, runs, baseline runs
GOAL_P95_MS = 20.0
DATA_VERSION = 2
TERMS = [  # (kind, term, 年度 filter)
    ("two-character", "政府", None),
    ("two-character", "数字", None),
    ("four-character", "数字政府", None),
    ("文号 fragment", "工信〔2022〕", None),
    ("文号 fragment", "25号", None),
    ("no match", "区块链", None),
    ("two-character + 年度 filter", "数字", 2022),
]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
SECTION = "archive_search"


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
    from tests.benchmarks.archive_search_load import insert_rows, reset

    reset()
    org = insert_rows(marker, rows)
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


def timed(call: Callable[[], Any], runs: int, warm: int = 3) -> tuple[list[float], Any]:
    result = None
    for _ in range(warm):
        result = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _modes_of(call: Callable[[], Any]) -> str:
    """The ways (walk/index/narrow) the search ran its queries, in order."""
    from circulation.archive import search_plan

    seen: list[str] = []
    original = search_plan.choose_mode

    def spy(*args: Any, **kwargs: Any) -> str:
        mode = original(*args, **kwargs)
        seen.append(mode)
        return mode

    search_plan.choose_mode = spy  # type: ignore[assignment]
    try:
        call()
    finally:
        search_plan.choose_mode = original  # type: ignore[assignment]
    return " → ".join(seen)


def measure(org: Any, runs: int, baseline_runs: int) -> list[dict[str, Any]]:
    from django.db.models import Q

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import (
        ArchiveFilters,
        _indexed,
        _like,
        query_terms,
        search_archive,
    )

    base = ArchivedRecord.objects.filter(organisation=org)
    results = []
    for kind, term, year in TERMS:
        filters = ArchiveFilters(year=year)
        records = filters.apply(base)
        search = lambda t=term, f=filters: search_archive(base, t, f, limit=20)  # noqa: E731
        times, page = timed(search, runs)
        terms = query_terms(term)
        exact = records.filter(
            _indexed(None, terms, "search_vector") & _like(terms, "search_text")
        ).count()
        naive = records.filter(
            Q(title__icontains=term)
            | Q(doc_number__icontains=term)
            | Q(issuer__icontains=term)
            | Q(notice__body__icontains=term)
        )
        naive_times, naive_count = timed(
            lambda n=naive: (n.count(), list(n.order_by("-id")[:20]))[0], baseline_runs, warm=1
        )
        if naive_count != exact:
            raise SystemExit(f"{term}: index found {exact} rows, ILIKE found {naive_count}")
        results.append(
            {
                "kind": kind,
                "term": term + (f" (年度 {year})" if year else ""),
                "matches": exact,
                "page": len(page.results),
                "count": page.count,
                "capped": page.count_capped,
                "p50": statistics.median(times),
                "p95": pct(times, 0.95),
                "max": max(times),
                "ilike_p50": statistics.median(naive_times),
                "ilike_p95": pct(naive_times, 0.95),
                "plan": _modes_of(search),
            }
        )
    return results


def machine() -> dict[str, str]:
    from django.db import connection

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem = next(
        (
            f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "unknown",
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]  # type: ignore[index]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('archive_archivedrecord'))")
        size = cursor.fetchone()[0]  # type: ignore[index]
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": mem,
        "pg": version,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "table": size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--reload", action="store_true", help="rebuild the rows")
    parser.add_argument(
        "--quiet-wait", type=float, default=0.0, help="wait up to this many seconds for load < 1"
    )
    args = parser.parse_args(argv)
    rows, runs, baseline_runs = SIZES[args.size]
    configure(os.environ.get("DATABASE_URL", DEFAULT_URL))
    org = load(rows, args.reload)
    started_load = wait_for_quiet(args.quiet_wait)
    results = measure(org, runs, baseline_runs)
    info = machine()
    info["load"] = f"{started_load} → {Path('/proc/loadavg').read_text().split()[0]}"
    from tests.benchmarks.archive_search_docs import render_section, write_section

    for r in results:
        say(
            f"BENCH archive_search rows={rows} term={r['term'].split()[0]} matches={r['matches']} "
            f"p50_ms={r['p50']:.2f} p95_ms={r['p95']:.2f} ilike_p50_ms={r['ilike_p50']:.1f} "
            f"ratio={r['ilike_p50'] / r['p50']:.0f} plan={r['plan']!r}"
        )
    met = all(r["p95"] < GOAL_P95_MS for r in results if "filter" not in r["kind"])
    say(f"BENCH archive_search goal p95<{GOAL_P95_MS:.0f}ms {'met' if met else 'missed'}")
    command = (
        "DATABASE_URL=… .venv/bin/python -m tests.benchmarks.bench_archive_search "
        + " ".join(argv if argv is not None else sys.argv[1:])
    )
    if args.write_docs:
        section = render_section(results, info, rows=rows, runs=runs, command=command.strip())
        write_section(DOCS, SECTION, section)
        say(f"wrote the {SECTION} section of {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
