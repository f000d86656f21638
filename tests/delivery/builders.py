"""Builders of the delivery tests: the suite's Redis, the sample notice's reminder text (number,
title, deadline, link, body), the type of the ``make_message`` fixture and a Celery worker in a
thread of this process. Import them from here (never from a conftest);
``tests/delivery/conftest.py`` makes the fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from circulation.celery import app as celery_app
from workflows.models import Message

# The suite's Redis (scripts/test sets REDIS_URL); the same default when it is unset.
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"

NOTICE_NO = "舞工信〔2022〕25号"
NOTICE_TITLE = "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"
DEADLINE = "2022-10-11 17:30"
LINK = "http://localhost:8000/api/v1/notices/7/"
BODY = (
    f"您有 1 份收文待阅知确认：\n- {NOTICE_NO} {NOTICE_TITLE}\n"
    f"  办理期限：{DEADLINE}\n  查看：{LINK}\n"
)

MakeMessage = Callable[..., Message]


def _close_thread_connections(**kwargs: Any) -> None:
    """Tasks run in the worker's thread: close its database connection after each one, so the
    test database can be flushed and dropped."""
    connections.close_all()


@contextmanager
def running_worker(pool: str = "solo") -> Iterator[Any]:
    """A real Celery worker in a thread of this process, on the app's current broker and queue."""
    task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(
            celery_app, pool=pool, perform_ping_check=False, shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_thread_connections)
