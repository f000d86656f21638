"""The record benchmark still runs: ``python -m tests.benchmarks.bench_record --size small``.

Not a performance test (no timing is asserted): it checks that the benchmark sets up its data,
renders with WeasyPrint (and Chromium when installed), stores through ``current_record`` with a
constant number of queries, and never writes docs/benchmarks.md. Own database
``circulation_bench_record_smoke`` on the test suite's PostgreSQL server.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"


def test_the_record_benchmark_runs_at_small_size() -> None:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation")
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(
        urlsplit(base)._replace(path="/circulation_bench_record_smoke")
    )
    docs_before = DOCS.stat().st_mtime_ns if DOCS.exists() else None

    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_record", "--size", "small"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    rows = re.findall(
        r"^BENCH record recipients=(\d+) pages=(\d+) weasy=([\d.]+) .*queries=(\d+)$",
        result.stdout,
        re.M,
    )
    assert [row[0] for row in rows] == ["1", "20"], output[-6000:]
    for _, pages, weasy, queries in rows:
        assert int(pages) >= 1
        assert float(weasy) > 0
        assert queries == "6"  # the record's data in constant queries
    docs_after = DOCS.stat().st_mtime_ns if DOCS.exists() else None
    assert docs_after == docs_before, "the smoke run must not write docs/benchmarks.md"
