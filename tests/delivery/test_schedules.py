"""The default beat schedules: created by migrate with the configured intervals, editable in the
admin, and an admin's edit survives later migrates."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from workflows.schedules import DEFAULT_SCHEDULES, ensure_default_schedules

pytestmark = pytest.mark.django_db

SWEEP = "workflows.tasks.sweep_reminders"
DISPATCH = "workflows.tasks.dispatch_outbox"


def _every(task: str) -> int:
    periodic = PeriodicTask.objects.select_related("interval").get(task=task)
    assert periodic.interval is not None
    assert periodic.interval.period == IntervalSchedule.SECONDS
    return periodic.interval.every


def _migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0, stdout=StringIO())


def test_default_schedules_exist_after_migrate() -> None:
    # The test database was made by migrate: the rows are there with the default intervals.
    assert _every(SWEEP) == 300
    assert _every(DISPATCH) == 60
    for periodic in PeriodicTask.objects.filter(task__in=(SWEEP, DISPATCH)):
        assert periodic.enabled
        assert periodic.expire_seconds == periodic.interval.every  # type: ignore[union-attr]
    assert PeriodicTask.objects.filter(task__in=(SWEEP, DISPATCH)).count() == 2


def test_intervals_come_from_the_settings(settings: Any) -> None:
    PeriodicTask.objects.filter(task__in=(SWEEP, DISPATCH)).delete()
    settings.REMINDER_SWEEP_SECONDS = 120
    settings.OUTBOX_DISPATCH_SECONDS = 30

    _migrate()

    assert _every(SWEEP) == 120
    assert _every(DISPATCH) == 30


def test_a_second_migrate_keeps_an_admins_edit(settings: Any) -> None:
    sweep = PeriodicTask.objects.get(task=SWEEP)
    sweep.interval, _ = IntervalSchedule.objects.get_or_create(
        every=900, period=IntervalSchedule.SECONDS
    )
    sweep.save()
    dispatch = PeriodicTask.objects.get(task=DISPATCH)
    dispatch.enabled = False
    dispatch.save()
    settings.REMINDER_SWEEP_SECONDS = 240  # even when the configured default changes

    _migrate()

    assert _every(SWEEP) == 900
    assert not PeriodicTask.objects.get(task=DISPATCH).enabled


def test_an_untouched_schedule_follows_a_new_default(settings: Any) -> None:
    settings.OUTBOX_DISPATCH_SECONDS = 45
    assert ensure_default_schedules() == ["消息投递 outbox dispatch"]
    assert _every(DISPATCH) == 45
    assert ensure_default_schedules() == []  # idempotent
    assert _every(SWEEP) == 300


def test_edit_through_the_admin_is_kept(admin_client: Any) -> None:
    sweep = PeriodicTask.objects.get(task=SWEEP)
    ten_minutes, _ = IntervalSchedule.objects.get_or_create(
        every=600, period=IntervalSchedule.SECONDS
    )
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{sweep.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data.update(
        name=sweep.name,
        regtask=SWEEP,
        task=SWEEP,
        interval=ten_minutes.pk,
        args="[]",
        kwargs="{}",
        enabled="on",
        headers="{}",
        queue="",
        exchange="",
        routing_key="",
        priority="",
        expires="",
        expire_seconds="600",
        description=sweep.description,
    )
    for key in ("crontab", "solar", "clocked", "start_time", "last_run_at"):
        data.pop(key, None)
    answer = admin_client.post(f"/admin/django_celery_beat/periodictask/{sweep.pk}/change/", data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors

    _migrate()

    assert _every(SWEEP) == 600


def test_each_default_names_a_registered_task() -> None:
    from circulation.celery import app

    for default in DEFAULT_SCHEDULES:
        assert default.task in app.tasks
