"""manage.py verify_audit: recompute the audit hash chain and check it against the latest signed
checkpoint (``circulation.archive.checkpoint``); non-zero exit on the first bad event, a
checkpoint whose seq has another hash, an invalid checkpoint signature or a chain shorter than
the checkpoint."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from circulation.archive.checkpoint import verify_checkpoint
from circulation.records.audit import verify_chain


class Command(BaseCommand):
    help = (
        "校验审计日志哈希链及最新的已签名检查点，发现篡改、删除、截断或重写时以非零状态退出。"
        " / Verify the audit log's hash chain and its latest signed checkpoint; exit non-zero on"
        " any edit, deletion, cut tail or rewritten chain."
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
        anchored = verify_checkpoint()
        if not anchored.ok:
            raise CommandError(
                f"审计链与已签名检查点不符 / Audit chain fails its signed checkpoint: "
                f"{anchored.reason}"
            )
        if anchored.present:
            anchor = (
                f"；与检查点 #{anchored.seq}（{anchored.made_at}，{anchored.signer}）相符"
                f" / matches checkpoint #{anchored.seq} ({anchored.made_at}, {anchored.signer})"
            )
        else:
            anchor = "；尚无已签名检查点 / no signed checkpoint yet"
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完整：已检查 {report.events_checked} 条事件"
                f" / Audit chain OK: {report.events_checked} events checked{anchor}"
            )
        )
