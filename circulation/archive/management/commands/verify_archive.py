"""manage.py verify_archive: every sealed file's SHA-256 and SM3 against its row, its PAdES
signature (intact, nothing appended, trusted, signing time, time-stamp), the row against the audit
event that sealed it, every attachment, the sealed record data against the database (read once per
batch of records), and the audit hash chain against the latest signed checkpoint (as
``verify_audit``; ``--audit-only``: only that). Non-zero exit on any mismatch, naming each one with
its reason."""

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from circulation.archive.checkpoint import verify_audit_log
from circulation.archive.models import ArchivedRecord
from circulation.archive.verification import verify_records

# Records verified together: the database is read once per batch (``BATCH_QUERIES`` statements);
# a batch of 1,000-recipient records holds 50,000 acknowledgements in memory.
BATCH = 50


def _batches(items: Iterator[ArchivedRecord], size: int) -> Iterator[list[ArchivedRecord]]:
    batch: list[ArchivedRecord] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Command(BaseCommand):
    help = (
        "校验全部归档文件、附件与审计链，发现不符时以非零状态退出。"
        " / Verify every sealed record, its attachments and the audit chain; exit non-zero on"
        " any mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--audit-only", action="store_true", help="only the audit chain")
        parser.add_argument("--year", type=int, help="only the records of this 年度")

    def handle(self, *args: Any, **options: Any) -> None:
        failures: list[str] = []
        checked = signed = timestamped = 0
        if not options["audit_only"]:
            records = ArchivedRecord.objects.order_by("id")
            if options["year"]:
                records = records.filter(year=options["year"])
            total = records.count()
            console = Console(stderr=True, highlight=False)
            with Progress(console=console, transient=True, disable=total == 0) as progress:
                task = progress.add_task("校验归档文件 verifying", total=total)
                for batch in _batches(records.iterator(chunk_size=BATCH), BATCH):
                    for record, result in zip(batch, verify_records(batch), strict=True):
                        checked += 1
                        if result.signature is not None:
                            signed += 1
                            timestamped += bool(result.signature.get("timestamped"))
                        failures.extend(f"{record.archival_code}: {p}" for p in result.problems)
                        progress.advance(task)
        audit = verify_audit_log()
        if not audit.ok:
            failures.append(audit.message)
        if failures:
            for line in failures:
                self.stderr.write(line)
            raise CommandError(
                f"归档校验失败：{len(failures)} 处不符 / Archive verification failed: "
                f"{len(failures)} mismatch(es)\n" + "\n".join(failures)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"归档完整：已校验 {checked} 份归档记录（其中 {signed} 份电子签章有效，"
                f"{timestamped} 份有时间戳） / Archive OK: {checked} records ({signed} with a"
                f" valid signature, {timestamped} time-stamped)\n{audit.message}"
            )
        )
