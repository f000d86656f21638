"""The reminder sweep benchmark still runs: ``python -m tests.benchmarks.bench_sweep --size small``.

Not a performance test (no timing is asserted: a small run on a shared machine means little): it
checks that the benchmark builds its data, sweeps it in its child processes and counts what the
sweep wrote — 1,000 overdue acknowledgements of 100 people, so 1,000 reminders in 100 digests —
so that the script does not rot. It runs in its own database,
``circulation_bench_sweep_smoke_<pid>`` on the test suite's PostgreSQL server (dropped
afterwards), publishes the delivery tasks to kombu's filesystem transport in a temporary folder
(no Redis needed) and never writes docs/benchmarks.md.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"
SMOKE_DB = f"circulation_bench_sweep_smoke_{os.getpid()}"
SECTION = re.compile(r"<!-- bench:sweep:start -->.*?<!-- bench:sweep:end -->", re.DOTALL)


def sweep_section() -> str | None:
    """This benchmark's section of docs/benchmarks.md (other benchmarks write the rest)."""
    if not DOCS.exists():
        return None
    match = SECTION.search(DOCS.read_text(encoding="utf-8"))
    return match.group(0) if match else None


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


def test_sweep_benchmark_runs_at_small_size() -> None:
    url = smoke_database_url()
    env = dict(os.environ)
    env.pop("BENCH_SWEEP_DATABASE_URL", None)
    env["COLUMNS"] = "120"
    section_before = sweep_section()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.bench_sweep",
                "--size",
                "small",
                "--broker",
                "filesystem",
                "--database-url",
                url,
            ],
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
    line = re.search(r"^BENCH sweep (.*)$", result.stdout, re.M)
    assert line is not None, output[-6000:]
    fields = dict(pair.split("=", 1) for pair in line.group(1).split())
    assert fields["acks"] == "1000", line.group(0)
    assert fields["people"] == "100", line.group(0)
    assert fields["reminders"] == "1000", line.group(0)
    assert fields["digests"] == "100", line.group(0)
    assert fields["messages"] == "100", line.group(0)
    assert fields["notifications"] == "100", line.group(0)
    assert fields["chain"] == "ok", line.group(0)
    assert fields["second_sweep_new"] == "0", line.group(0)
    assert fields["per_claim_batch"].isdigit(), line.group(0)  # one count: bounded
    assert sweep_section() == section_before, "the smoke run must not write docs/benchmarks.md"
