"""Running a benchmark script at its small size from a test, so that it does not rot.

Each run gets its own database on the test suite's PostgreSQL server,
``circulation_bench_<name>_smoke_<pid>`` (one per pytest process, like the test database, so
that parallel runs do not collide), dropped afterwards. A smoke run must never write
docs/benchmarks.md: :func:`run_small` checks that the file is unchanged.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"


def _database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation")
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}", query=""))


def _drop_database(url: str, name: str) -> None:
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
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _docs_text() -> str | None:
    return DOCS.read_text(encoding="utf-8") if DOCS.exists() else None


def run_small(
    name: str, module: str, *args: str, url_option: str | None = None, timeout: int = 300
) -> tuple[str, str]:
    """``python -m <module> --size small <args>`` in its own database; (stdout, all output).

    The database URL goes in ``DATABASE_URL``, and also as ``<url_option> URL`` for a script
    that takes it as an option. Fails the test when the script exits non-zero or changed
    docs/benchmarks.md.
    """
    database = f"circulation_bench_{name}_smoke_{os.getpid()}"
    env = dict(os.environ)
    env.pop("BENCH_DATABASE_URL", None)
    env.pop("BENCH_SWEEP_DATABASE_URL", None)
    env["DATABASE_URL"] = url = _database_url(database)
    if url_option:
        args = (*args, url_option, url)
    env["COLUMNS"] = "120"
    docs_before = _docs_text()
    try:
        result = subprocess.run(
            [sys.executable, "-m", module, "--size", "small", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        _drop_database(url, database)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise AssertionError(f"{module} exited {result.returncode}:\n{output[-6000:]}")
    if _docs_text() != docs_before:
        raise AssertionError("a smoke run must not write docs/benchmarks.md")
    return result.stdout, output
