"""/healthz answers without login: database and broker state, 503 naming what does not answer."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client: Any) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["last_beat_tick"] is None


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "circulation.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "VAR_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert result["body"]["database"] == "unavailable"


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_does_not_answer(client: Any) -> None:
    from circulation.celery import app
    from tests.delivery.servers import BROKER_SETTINGS, use_broker

    saved = {key: app.conf[key] for key in BROKER_SETTINGS}
    use_broker(app, "redis://127.0.0.1:1/0", saved["task_default_queue"])  # nothing listens
    try:
        answer = client.get("/healthz")
    finally:
        use_broker(
            app,
            saved["broker_url"],
            saved["task_default_queue"],
            saved["broker_transport_options"],
        )
    assert answer.status_code == 503
    body = answer.json()
    assert (body["database"], body["broker"], body["unavailable"]) == (
        "ok",
        "unavailable",
        ["broker"],
    )
    assert client.get("/healthz").status_code == 200
