"""Hot statements planned once per database connection (``PREPARE`` / ``EXECUTE``).

Django's psycopg binds parameters on the client, so PostgreSQL plans every statement it is sent.
For the few fixed statements every answer runs (the acknowledgement's row lock, a six-table join
whose planning cost more than its execution — 0.65 against 0.25 ms —, its ``UPDATE`` and the
completion check) :func:`execute` sends ``PREPARE name AS …`` the first time a connection runs
one, and ``EXECUTE name(…)`` through Django's cursor every time, so each statement is still
logged, counted and wrapped like any other. The ``PREPARE`` goes straight to the driver's
connection: it is no statement of the request, outlives a rollback (prepared statements belong
to the session, not the transaction) and lasts as long as the connection; a new connection
prepares again. Not for a pooler in transaction mode (PgBouncer's default), which would hand the
``EXECUTE`` to another server session: point ``DATABASE_URL`` at PostgreSQL or a session pool.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.db.backends.utils import CursorWrapper

_PLACEHOLDER = re.compile(r"%s|%%")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders as ``$1``, ``$2`` … (and ``%%`` as ``%``)."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(replace, sql)


def execute(cursor: CursorWrapper, name: str, sql: str, params: Sequence[Any]) -> None:
    """Run ``sql`` (``%s`` placeholders) with ``params`` as the prepared statement ``name`` of
    this connection, preparing it first if this connection has not."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a statement name: {name!r}")
    db = cursor.db
    raw = db.connection
    state: tuple[Any, set[str]] | None = getattr(db, "_prepared_statements", None)
    if state is None or state[0] is not raw:  # a new connection: nothing prepared on it yet
        state = (raw, set())
        db._prepared_statements = state
    if name not in state[1]:
        raw.execute(f"PREPARE {name} AS {numbered(sql)}")
        state[1].add(name)
    placeholders = ", ".join(["%s"] * len(params))
    cursor.execute(f"EXECUTE {name}({placeholders})", list(params))
