"""归档文件目录 (CSV), export_archive (BagIt, XLSX) and verify_archive (exit codes)."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from circulation.archive.catalogue import HEADERS
from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from tests.archive.builders import completed_notice, direct_record
from tests.builders import Bureau
from workflows.services.archiving import archive_notice

REPO = Path(__file__).resolve().parents[2]


def _archive_two(bureau: Bureau) -> list[ArchivedRecord]:
    first = completed_notice(bureau, "舞工信〔2022〕25号")
    second = completed_notice(
        bureau, "舞工信〔2022〕26号", attachment=False, title="关于=1+1的通知"
    )
    return [
        archive_notice(Actor(bureau.archivist), first.pk, retention="D30"),
        archive_notice(Actor(bureau.archivist), second.pk, retention="Y"),
    ]


@pytest.mark.django_db
def test_catalogue_csv(bureau: Bureau, api: Any) -> None:
    direct_record(bureau, "舞工信〔2022〕25号", "关于数字政府的通知", retention="D30", item_no=1)
    direct_record(bureau, "舞工信〔2022〕27号", "永久保存的通知", retention="Y", item_no=1)
    direct_record(bureau, "舞工信〔2021〕3号", "上一年的通知", year=2021, item_no=1)

    response = api(bureau.archivist).get("/api/v1/archive/catalogue.csv", {"year": 2022})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert (
        rows[0]
        == HEADERS
        == ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
    )
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert [r[1] for r in rows[1:]] == ["Z109-WS·2022-Y-BGS-0001", "Z109-WS·2022-D30-BGS-0001"]
    assert rows[2][2:8] == [
        "舞工信〔2022〕25号",
        "舞阳县工业和信息化局",
        "关于数字政府的通知",
        "20220929",
        "公开",
        "1",
    ]
    assert all(len(r[5]) == 8 and r[5].isdigit() for r in rows[1:])
    everything = api(bureau.archivist).get("/api/v1/archive/catalogue.csv").content.decode()
    assert everything.count("\r\n") == 4


@pytest.mark.django_db
def test_export_archive_writes_a_valid_bag(bureau: Bureau, tmp_path: Path) -> None:
    records = _archive_two(bureau)
    out = tmp_path / "export"
    stdout = io.StringIO()
    call_command("export_archive", "--year", "2022", "--out", str(out), stdout=stdout)

    bag = bagit.Bag(str(out))
    bag.validate()  # raises on any missing file or checksum mismatch
    assert "sha256" in bag.algorithms
    data = out / "data"
    for record in records:
        assert (data / "records" / f"{record.archival_code}.pdf").is_file()
    attachments = list((data / "attachments").rglob("*"))
    assert [p.name for p in attachments if p.is_file()] == ["01-附件1.pdf"]
    manifest = (out / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert records[0].record_sha256 in manifest
    workbook = load_workbook(data / "catalogue.xlsx")
    sheet = workbook.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == HEADERS
    assert [v[1] for v in values[1:]] == [r.archival_code for r in reversed(records)]
    assert values[1][4] == "关于=1+1的通知"  # text, not a formula
    assert sheet.cell(row=2, column=5).data_type == "s"
    assert values[1][5] == "20220929"
    csv_text = (data / "catalogue.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].split(",") == HEADERS
    assert (data / "metadata.json").is_file()
    assert "Exported 2 records" in stdout.getvalue()

    with pytest.raises(Exception, match="not empty"):
        call_command("export_archive", "--year", "2022", "--out", str(out))


@pytest.mark.django_db
def test_export_archive_of_one_fonds(bureau: Bureau, tmp_path: Path) -> None:
    records = _archive_two(bureau)
    fonds = records[0].fonds_code
    out = tmp_path / "export"
    stdout = io.StringIO()
    call_command(
        "export_archive", "--year", "2022", "--fonds", fonds, "--out", str(out), stdout=stdout
    )
    assert "Exported 2 records" in stdout.getvalue()
    assert f"archive-{fonds}-2022" in (out / "bag-info.txt").read_text(encoding="utf-8")

    with pytest.raises(Exception, match="No records of fonds Z999"):
        call_command(
            "export_archive", "--year", "2022", "--fonds", "Z999", "--out", str(tmp_path / "x")
        )


def _run_verify(media: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "circulation.settings_test",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "verify_archive", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_verify_archive_exit_codes(bureau: Bureau, media: Path) -> None:
    records = _archive_two(bureau)
    clean = _run_verify(media)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Archive OK: 2 records" in clean.stdout

    attachment = records[0].attachments[0]
    path = media / attachment["path"]
    path.write_bytes(path.read_bytes() + b"x")
    sealed = media / records[1].file.name
    sealed.chmod(0o644)
    sealed.write_bytes(sealed.read_bytes() + b"x")

    tampered = _run_verify(media)
    assert tampered.returncode != 0
    output = tampered.stdout + tampered.stderr
    assert f"{records[0].archival_code}: attachment_altered" in output
    assert f"{records[1].archival_code}: file_altered" in output
    assert _run_verify(media, "--audit-only").returncode == 0  # the chain itself is intact
