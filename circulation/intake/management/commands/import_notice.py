"""manage.py import_notice PATH… [--commit --clerk USERNAME]: register notices from TXT, DOCX,
PDF and OFD files (or folders of them). A dry run by default: a table of what would be
registered; ``--commit`` registers each through the core's service with the file as its first
attachment. Summary of registered, duplicates and failures with reasons; exit status 1 if any
file failed."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from circulation.intake.service import organisation_units
from circulation.records.actors import Actor
from circulation.records.models import Handling, Person
from workflows.services import importing

SECRECY = {"public": "public", "公开": "public", "internal": "internal", "内部": "internal"}
STATUS_LABELS = {
    importing.WOULD_REGISTER: "[green]可登记 would register[/]",
    importing.REGISTERED: "[green]已登记 registered[/]",
    importing.DUPLICATE: "[yellow]重复 duplicate[/]",
    importing.INCOMPLETE: "[yellow]待补全 incomplete[/]",
    importing.FAILED: "[red]失败 failed[/]",
}
SECRECY_LABELS = {"public": "公开", "internal": "内部", "secret": "秘密", "confidential": "机密"}


class Command(BaseCommand):
    help = (
        "从 TXT、DOCX、PDF、OFD 文件（或文件夹）登记收文；默认只预览，--commit 才登记。"
        " / Register notices from TXT, DOCX, PDF and OFD files or folders; a dry run unless "
        "--commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files or folders")
        parser.add_argument("--commit", action="store_true", help="register (default: dry run)")
        parser.add_argument("--clerk", help="收发员的用户名 (required with --commit)")
        parser.add_argument(
            "--secrecy",
            default="internal",
            help="密级 for documents without a mark: internal/内部 (default) or public/公开",
        )
        parser.add_argument(
            "--handling", default=Handling.READ, choices=Handling.values, help="办理方式"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        commit: bool = options["commit"]
        secrecy = SECRECY.get(options["secrecy"])
        if secrecy is None:
            raise CommandError("--secrecy 只能是 internal/内部 或 public/公开")
        clerk = self._clerk(options.get("clerk"), commit)
        paths = list(importing.collect_paths(options["paths"]))
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise CommandError(f"找不到 / Not found: {', '.join(missing)}")
        organisation = clerk.organisation if clerk else None
        units = organisation_units(organisation)
        actor = Actor.system(clerk) if clerk else None
        console = Console(stderr=True, highlight=False)
        outcomes = []
        seen: dict[str, Path] = {}
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            label = "登记 registering" if commit else "预览 dry run"
            task = progress.add_task(label, total=len(paths))
            for path in paths:
                outcomes.append(
                    importing.import_file(
                        path,
                        actor=actor,
                        organisation=organisation,
                        units=units,
                        max_bytes=int(settings.ATTACHMENT_MAX_BYTES),
                        commit=commit,
                        default_secrecy=secrecy,
                        handling=options["handling"],
                        seen=seen,
                    )
                )
                progress.advance(task)
        out = Console(file=self.stdout, highlight=False, width=200, soft_wrap=False)  # type: ignore[arg-type]
        out.print(self._table(outcomes, commit))
        self._summary(out, outcomes, commit)

    def _clerk(self, username: str | None, commit: bool) -> Person | None:
        if not username:
            if commit:
                raise CommandError("--commit 需要 --clerk USERNAME / --commit needs --clerk")
            return None
        clerk = Person.objects.filter(username=username, is_active=True).first()
        if clerk is None:
            raise CommandError(f"没有用户 {username} / No active user {username}")
        if not clerk.has_perm("records.register_notice"):
            raise CommandError(f"{username} 没有登记收文的权限 / may not register notices")
        return clerk

    def _table(self, outcomes: list[importing.Outcome], commit: bool) -> Table:
        table = Table(title="导入收文 import_notice" + ("" if commit else "（预览 dry run）"))
        for column in ("文件 file", "格式", "发文字号", "标题", "发文机关", "成文日期", "密级"):
            table.add_column(column, overflow="fold")
        table.add_column("结果 result", overflow="fold")
        for outcome in outcomes:
            secrecy = outcome.value("secrecy")
            if outcome.extraction is None:
                secrecy_text = ""
            elif secrecy is None:
                secrecy_text = "（未标注，按默认）"
            else:
                secrecy_text = SECRECY_LABELS.get(secrecy, secrecy)
            issued = outcome.value("issued_on")
            result = STATUS_LABELS[outcome.status]
            if outcome.registration_no:
                result += f" {outcome.registration_no}"
            if outcome.reason:
                result += f"\n{outcome.reason}"
            table.add_row(
                str(outcome.path),
                outcome.extraction.document.format if outcome.extraction else "",
                outcome.value("doc_number") or "—",
                (outcome.value("title") or "—")[:60],
                outcome.value("issuer") or "—",
                issued.isoformat() if issued else "—",
                secrecy_text,
                result,
            )
        return table

    def _summary(self, out: Console, outcomes: list[importing.Outcome], commit: bool) -> None:
        count = dict.fromkeys(STATUS_LABELS, 0)
        for outcome in outcomes:
            count[outcome.status] += 1
        ok = count[importing.REGISTERED] if commit else count[importing.WOULD_REGISTER]
        out.print(
            f"{'已登记 registered' if commit else '可登记 would register'}: {ok}，"
            f"重复 duplicates: {count[importing.DUPLICATE]}，"
            + ("" if commit else f"待补全 incomplete: {count[importing.INCOMPLETE]}，")
            + f"失败 failed: {count[importing.FAILED]}"
        )
        failed = [o for o in outcomes if o.status == importing.FAILED]
        for outcome in failed:
            out.print(f"[red]✖[/] {outcome.path}: {outcome.reason} / {outcome.reason_en}")
        if failed:
            raise CommandError(f"{len(failed)} 个文件失败 / {len(failed)} file(s) failed")
