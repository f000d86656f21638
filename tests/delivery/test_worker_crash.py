"""kill -9 a worker process while it is sending an email, restart it: every message is delivered
exactly once (counted by Message-ID at the SMTP server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from tests.delivery.builders import MakeMessage
from tests.delivery.servers import MailCollector, wait_until
from workflows.delivery.dispatcher import LOST_REASON
from workflows.delivery.email import message_id_header
from workflows.delivery.outbox import schedule_delivery
from workflows.models import DeliveryAttempt, Message, MessageStatus
from workflows.tasks import dispatch_outbox

ROOT = Path(__file__).resolve().parents[2]
WORKER_LEASE_SECONDS = 5


def _database_url() -> str:
    """The test database, as a URL for another process."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextmanager
def worker_process(
    log: Path, broker: str, queue: str, smtp_port: int
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A circulation worker`` in its own process group, on the test database and the
    test queue; stopped (then killed) on the way out."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "circulation.settings_test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "60",
        "DEFAULT_FROM_EMAIL": "circulation@wuyang.example.cn",
        "DELIVERY_LEASE_SECONDS": str(WORKER_LEASE_SECONDS),
        "CONN_MAX_AGE": "0",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "circulation",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=crash-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_every_message_arrives_exactly_once(
    smtp: MailCollector,
    redis_broker: tuple[str, str],
    make_message: MakeMessage,
    settings: Any,
    tmp_path: Path,
) -> None:
    broker, queue = redis_broker
    settings.DELIVERY_LEASE_SECONDS = WORKER_LEASE_SECONDS
    smtp.block_first = True  # the first message hangs in DATA until released
    messages = [make_message() for _ in range(3)]
    ids = [m.pk for m in messages]
    log = tmp_path / "worker.log"

    with worker_process(log, broker, queue, smtp.port) as first:
        schedule_delivery(ids)
        assert smtp.arrived.wait(90), log.read_text(errors="replace")
        held = Message.objects.get(pk__in=ids, status=MessageStatus.SENDING)
        os.killpg(first.pid, signal.SIGKILL)  # kill -9, mid-delivery
        first.wait(timeout=30)
    smtp.release.set()
    assert smtp.messages == []  # the interrupted message was never accepted
    held.refresh_from_db()
    assert held.status == MessageStatus.SENDING
    assert held.lease_until is not None

    def settled() -> bool:
        if Message.objects.filter(pk__in=ids, status=MessageStatus.SENT).count() == len(ids):
            return True
        lease = Message.objects.values_list("lease_until", flat=True).get(pk=held.pk)
        if held.lease_until is not None and (lease is None or lease < timezone.now()):
            dispatch_outbox()  # beat's job: hands out the message whose worker died
        return False

    with worker_process(log, broker, queue, smtp.port):
        wait_until(settled, timeout=120, step=0.5)

    received = Counter(smtp.message_ids())
    assert received == Counter(message_id_header(m) for m in messages), log.read_text(
        errors="replace"
    )
    held.refresh_from_db()
    assert held.status == MessageStatus.SENT
    assert held.attempts == 2
    attempts = list(DeliveryAttempt.objects.filter(message=held))
    assert [(a.ok, a.error) for a in attempts] == [(False, LOST_REASON), (True, "")]
    for other in set(ids) - {held.pk}:
        assert DeliveryAttempt.objects.filter(message_id=other, ok=True).count() == 1
