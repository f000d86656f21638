"""manage.py sweep_reminders [--dry-run] [--as-of ISO]: run the reminder sweep (催办扫描) once."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from workflows.reminders.policy import local_zone, to_local
from workflows.services.sweep import SweepResult, preview_reminder_sweep, run_reminder_sweep


def _as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"无法识别的时间：{text}（示例 2022-10-12T09:00） / "
            f"Not an ISO date and time: {text} (e.g. 2022-10-12T09:00)"
        ) from exc
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=local_zone())
    return moment


class Command(BaseCommand):
    help = (
        "按当前（或指定）时间运行一次催办扫描；--dry-run 只报告将要产生的催办，不写入任何数据。"
        " / Run the reminder sweep once for now (or --as-of); --dry-run reports what would be"
        " decided and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="只报告，不写入 / report only, write nothing"
        )
        parser.add_argument(
            "--as-of",
            help="按此时间计算（ISO 8601；无时区时按北京时间） / compute as of this moment "
            "(ISO 8601; Asia/Shanghai when no offset is given)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _as_of(options["as_of"]) if options["as_of"] else None
        sweep = preview_reminder_sweep if options["dry_run"] else run_reminder_sweep
        result = sweep(as_of)
        self._report(result)

    def _report(self, result: SweepResult) -> None:
        mode = "演练（未写入任何数据） / dry run, nothing written" if result.dry_run else ""
        self.stdout.write(
            f"催办扫描 Reminder sweep as of {to_local(result.as_of):%Y-%m-%d %H:%M} "
            f"(Asia/Shanghai) {mode}".rstrip()
        )
        if result.skipped_reason:
            self.stdout.write(f"  跳过 skipped: {result.skipped_reason}")
            return
        verb = "将产生 would create" if result.dry_run else "新增 created"
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(result.by_kind.items()))
        self.stdout.write(
            f"  认领 claimed: {result.claimed} 条阅知记录 acknowledgement(s) "
            f"in {result.batches} batch(es)"
        )
        self.stdout.write(
            f"  催办 reminders {verb}: {result.reminders}" + (f" ({kinds})" if kinds else "")
        )
        if result.dry_run:
            self.stdout.write(f"  汇总消息 digests: {result.digests} 人 people would get one")
            return
        self.stdout.write(
            f"  汇总消息 digests: {result.digests}; 待发消息 outbox messages: {result.messages}"
            + (
                f"; {result.deferred_people} 人本时间窗已收到汇总，顺延 deferred to the next window"
                if result.deferred_people
                else ""
            )
        )
        self.stdout.write(self.style.SUCCESS(f"完成 done (SweepRun #{result.run_id})"))
