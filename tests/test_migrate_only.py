"""`manage.py migrate` alone prepares a database: the cache table included, so sign-in works.

A fresh database on the test server (``circulation_migrate_only_<pid>``, dropped afterwards) is
migrated with ``migrate`` and nothing else, with the production settings; then a sign-in through
the token endpoint (rate-limited in the database cache) is made from a separate process.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]

SIGN_IN = """
import django
django.setup()
from django.test import Client
from circulation.records.models import Person
Person.objects.create_user(username="first", password="first-pass-2027")
client = Client(HTTP_HOST="localhost", raise_request_exception=False)
answer = client.post(
    "/api/v1/auth/token/",
    {"username": "first", "password": "first-pass-2027"},
    content_type="application/json",
)
print(answer.status_code, "token" in answer.json() if answer.status_code == 200 else "")
"""


def _connect(url: str, dbname: str) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or "") or None,
        dbname=dbname,
        autocommit=True,
    )


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """URL of an empty database, dropped after the test."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation")
    name = f"circulation_migrate_only_{os.getpid()}"
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}", query=""))
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _connect(base, "postgres") as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        with _connect(base, "postgres") as conn:
            conn.execute(drop)


def _run(url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "circulation.settings",
        "DATABASE_URL": url,
        "SECRET_KEY": "migrate-only-test-" + "k" * 50,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
    }
    result = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_migrate_alone_creates_the_cache_table_and_sign_in_works(fresh_database: str) -> None:
    _run(fresh_database, "manage.py", "migrate", "--noinput", "-v", "0")
    with _connect(fresh_database, urlsplit(fresh_database).path.lstrip("/")) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'circulation_cache' ORDER BY column_name"
        ).fetchall()
    assert [c for (c,) in columns] == ["cache_key", "expires", "value"]

    assert _run(fresh_database, "-c", SIGN_IN).strip() == "200 True"

    # The old extra step is now a no-op, so scripts that still run it keep working.
    _run(fresh_database, "manage.py", "createcachetable")
