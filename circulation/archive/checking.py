"""Remembered integrity checks of archived records: "verify now" on the record page and
``GET /api/v1/archive/{档号}/verify/`` run :func:`verification.verify_record` and record its
outcome as an ``archive.verified`` audit event, so that the record page shows when the record was
last checked, by whom and with what result — also before anyone clicks.

Archived records are sealed (a PostgreSQL trigger refuses UPDATE), so the check is not stored on
the row: the audit log is the one place that says who checked what and when.

A double click (or a retried request) records one event, not two: the notice row is locked
before the last check is read, so the second of two requests waits for the first to commit, and a
check that finds what one recorded less than :data:`REPEAT_WINDOW` ago found (the same verdict,
hash, problems and check results) answers with that check (its time) instead of appending
another identical event.
"""

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache

from circulation.archive.models import ArchivedRecord
from circulation.archive.verification import VerifyResult
from circulation.records.models import AuditAction, AuditEvent

REPEAT_WINDOW = timedelta(seconds=10)
# "Verify now" from the QR verify page: at most VERIFY_NOW_PER_HOUR full checks a person an hour.
RATE_WINDOW_SECONDS = 3600


def verify_now_wait(person_id: int) -> int:
    """0 when the person may run a full check now (counted), else the seconds to wait: at most
    ``VERIFY_NOW_PER_HOUR`` checks a person in each clock hour (counted in the cache)."""
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"archive:verify-now:{person_id}:{window}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    if count <= settings.VERIFY_NOW_PER_HOUR:
        return 0
    return max(1, int((window + 1) * RATE_WINDOW_SECONDS - now))


@dataclass(frozen=True)
class LastCheck:
    """The newest ``archive.verified`` event of a record: when, by whom, and what it found
    (``outcome`` is the result's JSON without ``checked_at``: ``ok``, ``sha256``,
    ``problems`` and whatever checks verification reports besides)."""

    at: datetime
    actor_username: str
    actor_name: str
    outcome: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.outcome.get("ok"))


def outcome_of(result: VerifyResult) -> dict[str, Any]:
    """The result as it is stored in the event: JSON (dates as ISO text), without its time,
    which is the event's own."""
    body = {key: value for key, value in result.as_dict().items() if key != "checked_at"}
    loaded: dict[str, Any] = json.loads(json.dumps(body, default=str, ensure_ascii=False))
    return loaded


def verdict(outcome: dict[str, Any]) -> tuple[Any, ...]:
    """What a check found, without what may differ between two runs finding the same (e.g. a
    validation time): the verdict, the file's hash, each problem and each check's verdict."""
    problems = outcome.get("problems") if isinstance(outcome.get("problems"), list) else []
    checks = outcome.get("checks") if isinstance(outcome.get("checks"), list) else []
    return (
        bool(outcome.get("ok")),
        outcome.get("sha256"),
        sorted(
            (str(p.get("code")), str(p.get("subject", "")), str(p.get("field", "")))
            for p in problems or []
            if isinstance(p, dict)
        ),
        sorted(
            (str(c.get("code")), bool(c.get("ok"))) for c in checks or [] if isinstance(c, dict)
        ),
    )


def last_event(record: ArchivedRecord) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(notice_id=record.notice_id, action=AuditAction.ARCHIVE_VERIFIED)
        .select_related("actor")
        .only("id", "seq", "at", "data", "actor_username", "actor__display_name")
        .order_by("-seq")
        .first()
    )


def last_check(record: ArchivedRecord) -> LastCheck | None:
    """The record's last recorded check, or ``None`` when it was never checked (one query)."""
    event = last_event(record)
    if event is None:
        return None
    data = event.data if isinstance(event.data, dict) else {}
    outcome = data.get("outcome")
    return LastCheck(
        at=event.at,
        actor_username=event.actor_username,
        actor_name=(event.actor.display_name if event.actor else "") or event.actor_username,
        outcome=outcome if isinstance(outcome, dict) else {},
    )
