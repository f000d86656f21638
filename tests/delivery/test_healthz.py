"""/healthz tells when beat last ticked and how old the last reminder sweep is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from workflows.models import SweepRun
from workflows.tasks import dispatch_outbox

pytestmark = pytest.mark.django_db


def test_last_beat_tick_is_null_before_any_run_and_set_after_one(client: Any) -> None:
    before = client.get("/healthz").json()
    assert before["last_beat_tick"] is None
    assert before["last_sweep_age_seconds"] is None

    dispatch_outbox()  # what beat runs every minute

    body = client.get("/healthz").json()
    run = SweepRun.objects.get(kind="dispatch")
    assert body["database"] == "ok"
    assert datetime.fromisoformat(body["last_beat_tick"]) == run.started_at
    assert body["last_beat_tick"].endswith("+08:00")  # one time zone in every answer
    assert run.finished_at is not None
    assert body["last_sweep_age_seconds"] is None  # no reminder sweep yet


def test_age_of_the_last_reminder_sweep(client: Any) -> None:
    started = timezone.now() - timedelta(minutes=7)
    SweepRun.objects.create(kind="reminders", started_at=started, as_of=started)

    body = client.get("/healthz").json()

    assert datetime.fromisoformat(body["last_beat_tick"]) == started
    assert 7 * 60 <= body["last_sweep_age_seconds"] < 7 * 60 + 600
