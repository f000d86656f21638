"""GET /healthz: database, broker and the clockwork; 503 when the database or the broker does
not answer, with ``unavailable`` naming which.

The broker check is one bounded attempt (``BROKER_CHECK_SECONDS`` to connect, as long again for
the answer), whatever the broker settings say: a broker that accepts connections and never
answers makes the check fail in about that time instead of hanging the request.

- ``last_beat_tick``: when the newest periodic run (reminder sweep or outbox dispatch, each a
  ``SweepRun``) started, ISO 8601; ``null`` before the first. With beat running it is at most
  ``OUTBOX_DISPATCH_SECONDS`` old; much older means beat (or every worker) is down.
- ``last_sweep_age_seconds``: seconds since the newest reminder sweep started; ``null`` before
  the first.
"""

import logging
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not answering"
        return False


BROKER_CHECK_SECONDS = 1.0

logger = logging.getLogger(__name__)


def _broker_ok() -> bool:
    from circulation.celery import broker_check

    problem = broker_check(BROKER_CHECK_SECONDS)
    if problem is not None:
        logger.warning("healthz: the broker does not answer: %s", problem)
    return problem is None


def _clockwork() -> dict[str, Any]:
    from workflows.models import SweepRun

    try:
        newest = SweepRun.objects.order_by("-started_at").values_list("started_at", flat=True)
        last_tick = newest.first()
        last_sweep = newest.filter(kind="reminders").first()
    except Exception:  # tables missing (not migrated yet): report nothing rather than fail
        return {"last_beat_tick": None, "last_sweep_age_seconds": None}
    age = None
    if last_sweep is not None:
        age = max(0, int((timezone.now() - last_sweep).total_seconds()))
    return {
        "last_beat_tick": timezone.localtime(last_tick).isoformat() if last_tick else None,
        "last_sweep_age_seconds": age,
    }


def healthz(request: HttpRequest) -> JsonResponse:
    db_ok = _database_ok()
    broker_ok = _broker_ok()
    body: dict[str, Any] = {
        "database": "ok" if db_ok else "unavailable",
        "broker": "ok" if broker_ok else "unavailable",
    }
    if db_ok:
        body.update(_clockwork())
    else:
        body.update(last_beat_tick=None, last_sweep_age_seconds=None)
    unavailable = [name for name, ok in (("database", db_ok), ("broker", broker_ok)) if not ok]
    if unavailable:
        body["unavailable"] = unavailable
    return JsonResponse(body, status=503 if unavailable else 200)
