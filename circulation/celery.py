"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Run one worker pool (``celery -A circulation worker``) and exactly one scheduler
(``celery -A circulation beat``, schedules in the database via django-celery-beat). Without
``REDIS_URL`` the broker is kombu's filesystem transport under ``$VAR_DIR`` (one machine only).
"""

import os
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.signals import setup_logging
from django.conf import settings
from kombu import Producer
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circulation.settings")

app = Celery("circulation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

FILESYSTEM_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_broker_folders(sender: Celery, **kwargs: Any) -> None:
    """The filesystem transport needs its folders to exist before anyone reads or writes them."""
    if str(sender.conf.broker_url or "").startswith("filesystem://"):
        options = sender.conf.broker_transport_options or {}
        for key in FILESYSTEM_FOLDERS:
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through Django's ``LOGGING``, which ``django.setup()`` has applied
    (Celery's Django fixup sets Django up first): connecting this receiver stops Celery from
    configuring logging of its own."""


# --- Publishing with bounded time -------------------------------------------------------------
#
# Every task this project queues goes through :func:`publish`. redis-py waits forever for an
# answer by default, so a broker that accepts connections and never answers would hang the
# request (or task) that publishes. Three bounds, all in settings:
#
# - ``CELERY_BROKER_CONNECTION_TIMEOUT``: opening the TCP connection (``socket_connect_timeout``);
# - ``CELERY_BROKER_SOCKET_TIMEOUT``: any one answer (``socket_timeout``: the PING of a new
#   connection, the LPUSH of a publish);
# - ``CELERY_BROKER_PUBLISH_TIMEOUT``: the whole publish. kombu's retry policy knows no total
#   time (``Connection.ensure`` refuses a ``timeout`` key), so its ``errback``, called before each
#   further attempt, gives up once the next attempt would start after the deadline.
#
# A publish therefore ends within about PUBLISH_TIMEOUT + one attempt (a connect and an answer);
# against a broker that accepts and never answers, with the defaults, after one second.

# Retry at once (a pooled connection that Redis closed on a restart fails at once, a new one
# works), then once more after 0.2 s, if the deadline allows.
PUBLISH_RETRY_POLICY: dict[str, float] = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


class BrokerUnavailable(OperationalError):
    """The broker did not take a task within ``CELERY_BROKER_PUBLISH_TIMEOUT``."""


def publish_timeout() -> float:
    return float(getattr(settings, "CELERY_BROKER_PUBLISH_TIMEOUT", 1.0))


def publish(task: Task[Any, Any], args: Sequence[Any], *, producer: Producer | None = None) -> None:
    """Queue ``task(*args)``, giving up after the publish deadline.

    Raises :class:`kombu.exceptions.OperationalError` (or :class:`BrokerUnavailable`, a
    subclass) when the broker cannot be reached or does not answer in time. The caller decides
    what recovers the work (its rows stay due for the dispatcher or the sweep) and must not fail
    its user because of it. ``producer``: one taken from :func:`producer` for several publishes
    over one connection.
    """
    timeout = publish_timeout()
    deadline = time.monotonic() + timeout

    def give_up_at_deadline(exc: BaseException, interval: float) -> None:
        if time.monotonic() + interval >= deadline:
            raise BrokerUnavailable(
                f"broker did not take {task.name} within {timeout:g} s: {exc}"
            ) from exc

    task.apply_async(
        args=tuple(args),
        producer=producer,
        retry=True,
        retry_policy={**PUBLISH_RETRY_POLICY, "errback": give_up_at_deadline},
    )


def producer() -> AbstractContextManager[Producer]:
    """One producer (one broker connection) for several :func:`publish` calls. Taking it opens
    the connection if the pool has none: that too may raise ``OperationalError``, after at most
    ``CELERY_BROKER_CONNECTION_TIMEOUT`` + ``CELERY_BROKER_SOCKET_TIMEOUT`` seconds."""
    return app.producer_or_acquire()


def broker_check(seconds: float) -> str | None:
    """Whether the broker answers now: None when it does, else why not.

    One attempt, bounded whatever the settings say: ``seconds`` to connect and ``seconds`` for
    the answer (a new Redis connection sends PING).
    """
    options = {"socket_connect_timeout": seconds, "socket_timeout": seconds}
    try:
        with app.connection_for_write(transport_options=options) as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:  # any driver error means "not answering"
        return f"{type(exc).__name__}: {exc}"
    return None
