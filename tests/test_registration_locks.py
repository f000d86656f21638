"""Registration takes its locks in the documented order: the audit chain head last.

A registration that waits for the registration counter (another registration holds it) must not
hold the audit chain head meanwhile, or every audited write of every organisation waits too.
"""

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from circulation.records.audit import verify_chain
from circulation.records.models import AuditChainHead, AuditEvent, Notice, RegistrationCounter
from tests.builders import SAMPLE, Bureau
from tests.helpers import registered_notice

pytestmark = pytest.mark.django_db(transaction=True)


def _own_connection() -> psycopg.Connection:
    """A connection of its own to the test database (outside Django), in a transaction."""
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )


@pytest.fixture
def counter_held(bureau: Bureau) -> Iterator[psycopg.Connection]:
    """Another transaction holds this year's registration counter row until it is rolled back.

    The audit chain head exists (a transactional test's flush may have removed the migration's).
    """
    AuditChainHead.objects.get_or_create(pk=1)
    year = timezone.localtime().year
    counter = RegistrationCounter.objects.create(organisation=bureau.org, year=year)
    holder = _own_connection()
    holder.execute(
        "SELECT last_value FROM records_registrationcounter WHERE id = %s FOR UPDATE",
        [counter.pk],
    )
    try:
        yield holder
    finally:
        holder.rollback()
        holder.close()


def _wait_until_blocked_by(holder: psycopg.Connection, timeout: float = 30) -> None:
    """Wait (polling, with a deadline) until some backend waits for a lock ``holder`` holds."""
    with _own_connection() as watcher:
        watcher.autocommit = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [holder.info.backend_pid],
            ).fetchone()
            if row and row[0]:
                return
            watcher.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("the registration never waited for the counter row")


def test_registration_waiting_for_the_counter_does_not_hold_the_audit_head(
    bureau: Bureau, counter_held: psycopg.Connection
) -> None:
    outcome: dict[str, Any] = {}

    def register() -> None:
        try:
            outcome["notice"] = registered_notice(bureau.clerk)
        except Exception as exc:  # asserted below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=register)
    thread.start()
    try:
        _wait_until_blocked_by(counter_held)
        # While the registration waits for the counter, an audited write elsewhere can take
        # the chain head: NOWAIT fails at once if the waiting registration holds it.
        with _own_connection() as other:
            head = other.execute(
                "SELECT last_seq FROM records_auditchainhead WHERE id = 1 FOR UPDATE NOWAIT"
            ).fetchone()
            other.rollback()
        assert head is not None
    finally:
        counter_held.rollback()
        thread.join(timeout=60)
    assert "error" not in outcome, outcome.get("error")
    notice = Notice.objects.get()
    assert notice.doc_number == SAMPLE["doc_number"]
    assert notice.registration_seq == 1
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["notice.received", "notice.registered"]
    assert verify_chain().ok
