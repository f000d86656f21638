"""Default periodic schedules, defined here and stored in django-celery-beat's tables.

``ensure_default_schedules`` runs on every ``migrate`` (post_migrate). It creates a missing
schedule with the configured interval (``REMINDER_SWEEP_SECONDS``, ``OUTBOX_DISPATCH_SECONDS``)
and never undoes an admin's edit: it records the interval it wrote in the task's description and
changes the interval later only while the task still has exactly that interval (the admin has not
touched it) and the configured default has changed. Disable or re-time a schedule in the admin
(周期任务 Periodic tasks); deleting one brings the default back on the next migrate.

Each task expires after one interval: when no worker ran for a while, the queued backlog of
sweeps is dropped instead of run a hundred times in a row.
"""

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

MARK = re.compile(r"默认间隔 default interval: (\d+) s")


@dataclass(frozen=True)
class DefaultSchedule:
    name: str
    task: str
    setting: str
    description: str

    def seconds(self) -> int:
        return max(1, int(getattr(settings, self.setting)))

    def full_description(self, seconds: int) -> str:
        return (
            f"{self.description}\n默认间隔 default interval: {seconds} s "
            f"({self.setting}); 管理员修改间隔后不会被覆盖 / an edited interval is kept."
        )


DEFAULT_SCHEDULES = (
    DefaultSchedule(
        name="催办扫描 reminder sweep",
        task="workflows.tasks.sweep_reminders",
        setting="REMINDER_SWEEP_SECONDS",
        description="按催办规则生成提醒与升级 / decide reminders and escalations",
    ),
    DefaultSchedule(
        name="消息投递 outbox dispatch",
        task="workflows.tasks.dispatch_outbox",
        setting="OUTBOX_DISPATCH_SECONDS",
        description="投递到期与中断的消息 / queue due and interrupted outbox messages",
    ),
    DefaultSchedule(
        name="审计日志锚定 audit checkpoint",
        task="circulation.archive.tasks.anchor_audit_log",
        setting="AUDIT_CHECKPOINT_SECONDS",
        description="以电子印章签署审计链头 / sign the audit chain head with the seal",
    ),
)


def _tables_exist(using: str) -> bool:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    tables = set(connections[using].introspection.table_names())
    return {IntervalSchedule._meta.db_table, PeriodicTask._meta.db_table} <= tables


def ensure_default_schedules(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create missing default schedules, update untouched ones; return the names changed."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if not _tables_exist(using):
        return []
    changed: list[str] = []
    with transaction.atomic(using=using):
        for default in DEFAULT_SCHEDULES:
            seconds = default.seconds()
            interval, _ = IntervalSchedule.objects.using(using).get_or_create(
                every=seconds, period=IntervalSchedule.SECONDS
            )
            task = (
                PeriodicTask.objects.using(using)
                .select_for_update(of=("self",))
                .select_related("interval")
                .filter(name=default.name)
                .first()
            )
            if task is None:
                PeriodicTask.objects.using(using).create(
                    name=default.name,
                    task=default.task,
                    interval=interval,
                    expire_seconds=seconds,
                    description=default.full_description(seconds),
                )
                changed.append(default.name)
            elif _untouched_but_outdated(task, seconds):
                task.interval = interval
                task.expire_seconds = seconds
                task.description = default.full_description(seconds)
                task.save(update_fields=["interval", "expire_seconds", "description"])
                changed.append(default.name)
    if changed:
        logger.info("default periodic schedules written: %s", ", ".join(changed))
    return changed


def _untouched_but_outdated(task: Any, seconds: int) -> bool:
    mark = MARK.search(task.description or "")
    if mark is None:
        return False  # the admin rewrote the description: leave the task alone
    written = int(mark.group(1))
    interval = task.interval
    untouched = (
        interval is not None
        and interval.period == "seconds"
        and interval.every == written
        and task.crontab_id is None
        and task.solar_id is None
        and task.clocked_id is None
    )
    return untouched and written != seconds


def on_post_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver (connected in :mod:`workflows.apps`)."""
    ensure_default_schedules(using=using)
