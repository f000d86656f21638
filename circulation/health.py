"""GET /healthz: database, broker and last beat tick; 503 when the database does not answer."""

from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not answering"
        return False


def _broker_ok() -> bool:
    from circulation.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    db_ok = _database_ok()
    body: dict[str, Any] = {
        "database": "ok" if db_ok else "unavailable",
        "broker": "ok" if _broker_ok() else "unavailable",
        "last_beat_tick": None,  # set by the reminder sweep (issue: reminders)
    }
    return JsonResponse(body, status=200 if db_ok else 503)
