"""manage.py export_archive --year Y --out DIR: a BagIt bag (SHA-256 manifest) with every sealed
record of the year, the original attachments, the 归档文件目录 (CSV and XLSX) and the rows'
metadata (JSON). Every file is checked against its sealed SHA-256 as it is copied.

The transfer package around it (circulation/archive/package.py, docs/archive-package.md):
说明文件.TXT, 文件目录.XML, per record a GB/T 33480 metadata XML with its 办理信息, the latest
signed audit checkpoint (written now), and the manifest's detached CMS signature with the seal
plus the trust roots (``root.pem``). Without a seal the package is written unsigned, and says so."""

import json
import re
from pathlib import Path
from typing import Any

import bagit
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from rich.console import Console
from rich.progress import Progress

from circulation.archive import package
from circulation.archive.catalogue import catalogue_records, catalogue_rows, write_csv, write_xlsx
from circulation.archive.checkpoint import CheckpointRefused, write_checkpoint
from circulation.archive.models import ArchivedRecord
from circulation.archive.seal import SealConfigurationError, load_seal
from circulation.archive.sealing import bytes_sha256, row_payload
from circulation.records.models import Attachment

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def _safe_name(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(" .")[-120:] or "attachment"


class Command(BaseCommand):
    help = (
        "导出某年度的归档文件、附件、归档文件目录（CSV、XLSX）及 SHA-256 清单（BagIt）。"
        " / Export a year's sealed records, attachments, catalogue and a BagIt SHA-256 manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="年度")
        parser.add_argument("--out", required=True, help="output directory (new or empty)")
        parser.add_argument(
            "--fonds", help="全宗号: only this fonds (default: every fonds archived here)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        out = Path(options["out"]).resolve()
        if out.exists() and any(out.iterdir()):
            raise CommandError(f"输出目录不为空 / The output directory is not empty: {out}")
        fonds: str | None = options.get("fonds")
        archived = ArchivedRecord.objects.all()
        if fonds:
            if not archived.filter(fonds_code=fonds).exists():
                raise CommandError(f"没有全宗号为 {fonds} 的归档记录 / No records of fonds {fonds}")
            archived = archived.filter(fonds_code=fonds)
        records = list(catalogue_records(archived, year).select_related("organisation", "notice"))
        try:
            seal = load_seal()
            checkpoint = write_checkpoint(seal=seal) if seal else None
        except SealConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        except CheckpointRefused as exc:
            raise CommandError(
                f"审计链自上一检查点后被改动，未导出 / The audit chain changed since its last "
                f"checkpoint; nothing exported: {exc}"
            ) from exc
        (out / "records").mkdir(parents=True, exist_ok=True)
        console = Console(stderr=True, highlight=False)
        metadata = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"导出 {year} 年度 exporting", total=len(records))
            for record in records:
                metadata.append(self._export_record(out, record))
                progress.advance(task)
        with (out / "catalogue.csv").open("w", encoding="utf-8", newline="") as stream:
            write_csv(catalogue_rows(records), stream)
        write_xlsx(catalogue_rows(records), out / "catalogue.xlsx", title=f"归档文件目录{year}")
        (out / "metadata.json").write_text(
            json.dumps(metadata, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        package.write_directory(records, out / package.DIRECTORY_NAME, year)
        if checkpoint is not None:
            package.copy_checkpoint(checkpoint, out)
        package.write_readme(
            out / package.README_NAME,
            year=year,
            records=records,
            seal=seal,
            checkpoint=checkpoint,
            organisations="、".join(sorted({r.organisation.name for r in records})),
        )
        bag = bagit.make_bag(
            str(out),
            bag_info={
                "Source-Organization": "circulation 收文传阅",
                "External-Description": f"归档文件 {year} 年度 / archived records of {year}",
                "External-Identifier": f"archive-{fonds}-{year}" if fonds else f"archive-{year}",
                "Bag-Count": "1 of 1",
            },
            checksums=["sha256"],
        )
        if seal is not None:
            package.sign_manifest(out, seal)
            bag.save()  # the tag manifest now lists the signature and the roots too
        else:
            self.stderr.write(
                "未配置电子印章证书：清单未签名 / No seal certificate: the manifest is unsigned"
            )
        bag.validate()
        self.stdout.write(
            self.style.SUCCESS(
                f"已导出 {len(records)} 份归档记录到 {out}（BagIt，SHA-256 清单）"
                f" / Exported {len(records)} records to {out} (BagIt, SHA-256 manifest)"
            )
        )

    def _export_sheet(self, out: Path, record: ArchivedRecord) -> str | None:
        """A 批办 notice's sealed 处理笺 beside its record (checked against its SHA-256)."""
        if not record.sheet_file:
            return None
        with record.sheet_file.storage.open(record.sheet_file.name, "rb") as handle:
            data = handle.read()
        if bytes_sha256(data) != record.sheet_sha256:
            raise CommandError(
                f"{record.archival_code}: 处理笺 SHA-256 不符，已停止导出"
                f" / sealed handling sheet SHA-256 mismatch, export stopped"
            )
        name = package.sheet_file_name(record)
        (out / name).write_bytes(data)
        return name

    def _export_record(self, out: Path, record: ArchivedRecord) -> dict[str, Any]:
        with record.file.storage.open(record.file.name, "rb") as handle:
            data = handle.read()
        if bytes_sha256(data) != record.record_sha256:
            raise CommandError(
                f"{record.archival_code}: 归档文件 SHA-256 不符，已停止导出"
                f" / sealed file SHA-256 mismatch, export stopped"
            )
        (out / "records" / f"{record.archival_code}.pdf").write_bytes(data)
        sheet_file = self._export_sheet(out, record)
        package.write_record_metadata(
            record,
            record.notice,
            package.handling_events(record.notice_id),
            out / "metadata" / f"{record.archival_code}.xml",
        )
        files = []
        rows = Attachment.objects.in_bulk([e["id"] for e in record.attachments])
        for index, entry in enumerate(record.attachments, start=1):
            attachment = rows.get(entry["id"])
            if attachment is None:
                raise CommandError(f"{record.archival_code}: 附件缺失 / attachment {entry['id']}")
            with attachment.file.open("rb") as handle:
                content = handle.read()
            if bytes_sha256(content) != entry["sha256"]:
                raise CommandError(
                    f"{record.archival_code}: 附件“{entry['name']}”SHA-256 不符"
                    f" / attachment {entry['name']!r} SHA-256 mismatch"
                )
            folder = out / "attachments" / record.archival_code
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{index:02d}-{_safe_name(entry['name'])}"
            (folder / name).write_bytes(content)
            files.append(f"attachments/{record.archival_code}/{name}")
        return {
            **row_payload(record),
            "record_file": f"records/{record.archival_code}.pdf",
            "attachment_files": files,
            **({"sheet_file_in_package": sheet_file} if sheet_file else {}),
            "checks_report": record.checks_report,
        }
