"""The benchmarks still run: ``python -m tests.benchmarks.run --size small`` end to end.

Not a performance test (the timings of a small run on a shared CI machine mean little): it checks
that both benchmarks set up, run and count correctly, so that they do not rot. It deliberately
carries no ``benchmark`` marker (that one is opt-in) and no skip: it runs with the suite. The run
uses its own database, ``circulation_bench_smoke_<pid>`` (one per pytest process, like the test
database, so that parallel runs do not collide; dropped afterwards), on the test suite's
PostgreSQL server, needs ``wrk`` (installed by scripts/bootstrap) and never writes
docs/benchmarks.md.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"
SMOKE_DB = f"circulation_bench_smoke_{os.getpid()}"


def smoke_database_url() -> str:
    """The test suite's server (DATABASE_URL), with the smoke database's name."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{SMOKE_DB}", query=""))


def drop_smoke_database(url: str) -> None:
    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or "") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SMOKE_DB))
        )


def test_benchmarks_run_at_small_size() -> None:
    env = dict(os.environ)
    env.pop("BENCH_DATABASE_URL", None)
    env["DATABASE_URL"] = url = smoke_database_url()
    env["COLUMNS"] = "120"
    docs_before = DOCS.stat().st_mtime_ns if DOCS.exists() else None

    try:
        result = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.run", "--size", "small"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        drop_smoke_database(url)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    forward = re.search(r"^BENCH forward recipients=(\d+) .*queries=(\d+)", result.stdout, re.M)
    assert forward is not None, output[-6000:]
    assert forward.group(1) == "200"
    assert int(forward.group(2)) < 40  # set-based: no query per recipient
    confirm = re.search(
        r"^BENCH confirm recipients=(\d+) confirmations=(\d+) .*checks=(\w+)", result.stdout, re.M
    )
    assert confirm is not None, output[-6000:]
    # 200 pairs are used up well within the 3 s run: every recipient confirmed exactly once,
    # with no non-2xx answers and the audit chain intact (checks=ok).
    assert confirm.groups() == ("200", "200", "ok"), output[-6000:]
    docs_after = DOCS.stat().st_mtime_ns if DOCS.exists() else None
    assert docs_after == docs_before, "the smoke run must not write docs/benchmarks.md"
