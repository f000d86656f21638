"""The archive-search benchmark still runs: ``--size small`` end to end in its own database
(``circulation_bench_archive_smoke``). It checks that the script runs and that the indexed search
and the ILIKE scan agree (the script exits non-zero otherwise) — not the timings."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"


def test_archive_search_benchmark_runs_at_small_size() -> None:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation")
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(
        urlsplit(base)._replace(path="/circulation_bench_archive_smoke")
    )
    docs_before = DOCS.stat().st_mtime_ns if DOCS.exists() else None

    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_archive_search", "--size", "small"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    lines = re.findall(r"^BENCH archive_search rows=3000 term=(\S+) matches=(\d+)", output, re.M)
    assert [term for term, _ in lines] == [
        "政府",
        "数字",
        "数字政府",
        "工信〔2022〕",
        "25号",
        "区块链",
        "数字",
    ]
    assert [int(matches) > 0 for _, matches in lines] == [True] * 5 + [False, True], output[-3000:]
    assert re.search(r"^BENCH archive_search goal p95<20ms (met|missed)$", output, re.M)
    docs_after = DOCS.stat().st_mtime_ns if DOCS.exists() else None
    assert docs_after == docs_before, "the smoke run must not write docs/benchmarks.md"
