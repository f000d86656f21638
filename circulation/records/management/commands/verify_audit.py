"""manage.py verify_audit: recompute the audit hash chain; non-zero exit on the first bad event."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from workflows.services.audit import verify_chain


class Command(BaseCommand):
    help = (
        "校验审计日志哈希链，发现篡改、删除或截断时以非零状态退出。"
        " / Verify the audit log's hash chain; exit non-zero on any edit, deletion or cut tail."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            at_zh = f"事件 #{report.first_bad_event}：" if report.first_bad_event else ""
            at_en = f" at event #{report.first_bad_event}" if report.first_bad_event else ""
            raise CommandError(
                f"审计链校验失败：{at_zh}{report.reason}"
                f"（已检查 {report.events_checked} 条）"
                f" / Audit chain broken{at_en}: {report.reason}"
                f" ({report.events_checked} events checked)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完整：已检查 {report.events_checked} 条事件"
                f" / Audit chain OK: {report.events_checked} events checked"
            )
        )
