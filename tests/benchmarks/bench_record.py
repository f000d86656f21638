"""Benchmark: rendering the acknowledgement record (阅知确认单) for 1, 100 and 1,000 recipients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_record \\
        .venv/bin/python -m tests.benchmarks.bench_record [--size small|full] [--runs N] \\
        [--write-docs]

Standalone (it does not use run.py/common.py). The database is always a
``circulation_bench_record*`` one on the server of ``DATABASE_URL`` (the name is replaced when it
is another), created when
missing and migrated; its records tables are emptied (TRUNCATE) at the start. Files go to a
temporary MEDIA_ROOT. For each size: the record's data is built through the services (register,
forward) plus bulk updates (opened/confirmed/returned, comments, reminders); then, warm (one
untimed render first), ``render_record`` — coverage check, template, sandboxed WeasyPrint
render to PDF/A-3b with the JSON and an attachment embedded — is timed against headless
Chromium printing the same HTML (``--print-to-pdf``, a fresh browser process each time, as the
CLI works), interleaved. ``current_record`` (read the data, render, store, audit) is timed too,
after a change to the data before each run. ``--write-docs`` replaces the
``<!-- bench:record:… -->`` section of docs/benchmarks.md. Exit 1 when a correctness check fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.benchmarks.bench_record_report import GOAL_ONE_SECONDS, machine, print_table, write_docs

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"
DB_PREFIX = "circulation_bench_record"
SIZES = {"full": (1, 100, 1000), "small": (1, 20)}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"bench_record needs PostgreSQL, got {url!r}")
    if not parts.path.lstrip("/").startswith(DB_PREFIX):
        parts = parts._replace(path=f"/{DB_PREFIX}")
    return urlunsplit(parts)


def setup_django(url: str, media: Path) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "circulation.settings_test"
    os.environ["MEDIA_ROOT"] = str(media)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def reset() -> None:
    from django.db import connection

    from circulation.records.models import AuditChainHead

    assert connection.settings_dict["NAME"].startswith(DB_PREFIX)
    with connection.cursor() as cursor:
        # the audit tables refuse TRUNCATE (records 0004) unless triggers are off (superuser)
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "TRUNCATE records_organisation, records_person, records_notice, records_auditevent,"
                " records_auditchainhead, knox_authtoken RESTART IDENTITY CASCADE"
            )
        finally:
            cursor.execute("RESET session_replication_role")
    AuditChainHead.objects.get_or_create(pk=1)


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "伟", "芳", "娜", "敏静", "强", "磊", "洋", "艳", "勇军", "杰", "涛", "明"]
COMMENTS = [
    "已认真学习，深刻领会精神实质。",
    "已阅，将结合本股室工作抓好落实。",
    "认真学习了《国务院关于加强数字政府建设的指导意见》，对数字政府建设的总体要求、"
    "主要任务和保障措施有了更深的理解，下一步将在政务服务“一网通办”、数据共享和网络安全"
    "等方面对照检查，推动各项任务落地见效。",
    "",
]


def build_notice(size: int, serial: int) -> Any:
    """A completed-looking notice with ``size`` recipients in units of up to 50 people."""
    import io

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from circulation.records.models import Acknowledgement, Membership, Organisation, Person, Unit
    from circulation.records.roles import CLERK
    from tests.helpers import small_pdf
    from workflows.services.attachments import add_attachment
    from workflows.services.context import Actor
    from workflows.services.forwarding import ForwardRequest, forward_notice
    from workflows.services.registration import NoticeInput, register_notice

    org, _ = Organisation.objects.get_or_create(name="舞阳县工业和信息化局", fonds_code="Z109")
    clerk = Person.objects.create(
        username=f"clerk{serial}", display_name="王收发", organisation=org
    )
    clerk.groups.add(Group.objects.get_or_create(name=CLERK)[0])
    units = [
        Unit.objects.create(
            organisation=org, code=f"S{serial}U{i}", name=f"第{i + 1}股室", kind="section"
        )
        for i in range((size + 49) // 50)
    ]
    people = Person.objects.bulk_create(
        Person(
            username=f"p{serial}_{i}",
            display_name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
            if i % 97
            else "买买提·艾力",
            organisation=org,
            password="!",
        )
        for i in range(size)
    )
    Membership.objects.bulk_create(
        Membership(person=p, unit=units[i // 50]) for i, p in enumerate(people)
    )
    data = NoticeInput(
        doc_number=f"舞工信〔2022〕{serial}号",
        title="舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知",
        issuer="舞阳县工业和信息化局",
        secrecy="public",
        instruction="请各股室认真学习",
        forwards=["国务院关于加强数字政府建设的指导意见"],
    )
    notice = register_notice(Actor(clerk), data).notice
    pdf = small_pdf()
    add_attachment(Actor(clerk), notice.pk, "附件1.pdf", io.BytesIO(pdf), len(pdf))
    forward_notice(Actor(clerk), notice.pk, ForwardRequest(unit_codes=[u.code for u in units]))
    now = timezone.now()
    acks = list(Acknowledgement.objects.filter(notice=notice).order_by("pk"))
    for i, ack in enumerate(acks):
        ack.opened_at = now
        ack.reminders_sent = i % 3
        ack.mark_read()  # the state machine's transitions, in memory; saved in bulk below
        if i % 50 == 7:
            ack.return_notice()
            ack.returned_at, ack.return_reason = now, "误发：本人不在该股室"
        else:
            ack.confirm()
            ack.confirmed_at, ack.comment = now, COMMENTS[i % len(COMMENTS)]
    Acknowledgement.objects.bulk_update(
        acks,
        [
            "state",
            "opened_at",
            "confirmed_at",
            "comment",
            "reminders_sent",
            "returned_at",
            "return_reason",
        ],
        batch_size=2000,
    )
    return notice


def chromium_print(html_path: Path, out: Path, profile: Path) -> tuple[float, int]:
    """One headless Chromium print: (wall seconds, peak RSS of its largest process in bytes)."""
    args = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*args, html_path.as_uri()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or not out.exists() or not out.read_bytes().startswith(b"%PDF"):
        raise RuntimeError(f"chromium failed (exit {proc.returncode})")
    return seconds, usage.ru_maxrss * 1024


def measure(size: int, serial: int, runs: int, work: Path) -> dict[str, Any]:
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from circulation.ackrecord.data import collect_record_data, content_hash
    from circulation.ackrecord.render import render_record
    from circulation.ackrecord.services import _attachment_files, current_record
    from circulation.records.models import Acknowledgement

    notice = build_notice(size, serial)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        data = collect_record_data(notice.pk)
        collect_seconds = time.perf_counter() - started
    digest = content_hash(data)
    files = _attachment_files(data)

    def weasy() -> Any:
        return render_record(
            data,
            rendition_id=uuid.uuid4(),
            generated_at=timezone.now(),
            content_hash=digest,
            attachments=files,
        )

    warm = weasy()  # warm: the first render is not timed
    html_dir = work / f"html{size}"
    shutil.copytree(REPO / "circulation" / "ackrecord" / "static", html_dir)
    html_path = html_dir / "record.html"
    html_path.write_text(warm.html, encoding="utf-8")
    chromium = Path(CHROMIUM).exists()
    if chromium:
        chromium_print(html_path, work / "warm.pdf", work / "profile")
    result: dict[str, Any] = {
        "recipients": size,
        "pages": warm.page_count,
        "pdf_bytes": len(warm.pdf),
    }
    weasy_s, rss, growth, chrome_s, chrome_rss = [], [], [], [], []
    for run in range(runs):
        started = time.perf_counter()
        rendered = weasy()
        weasy_s.append(time.perf_counter() - started)
        assert rendered.stats is not None
        rss.append(rendered.stats.max_rss_bytes)
        growth.append(rendered.stats.max_rss_bytes - rendered.stats.start_rss_bytes)
        if chromium:
            seconds, peak = chromium_print(html_path, work / f"c{size}-{run}.pdf", work / "profile")
            chrome_s.append(seconds)
            chrome_rss.append(peak)
    service_s = []
    ack = Acknowledgement.objects.filter(notice=notice).order_by("pk").first()
    assert ack is not None
    for run in range(runs):
        Acknowledgement.objects.filter(pk=ack.pk).update(reminders_sent=100 + run)
        started = time.perf_counter()
        rendition = current_record(notice)
        service_s.append(time.perf_counter() - started)
        if rendition.page_count != warm.page_count or rendition.size < 10_000:
            raise RuntimeError(f"unexpected rendition for {size} recipients: {rendition}")
    result.update(
        queries=len(queries),
        collect_seconds=collect_seconds,
        weasy_seconds=weasy_s,
        weasy_median=statistics.median(weasy_s),
        weasy_peak_rss=max(rss),
        weasy_growth=max(growth),
        service_seconds=service_s,
        service_median=statistics.median(service_s),
        chromium_seconds=chrome_s,
        chromium_median=statistics.median(chrome_s) if chrome_s else None,
        chromium_peak_rss=max(chrome_rss) if chrome_rss else None,
    )
    if chrome_s:
        result["ratio"] = result["weasy_median"] / result["chromium_median"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_record")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per size (median)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.size == "full" else 1)
    url = database_url(
        os.environ.get("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_PREFIX}")
    )
    with tempfile.TemporaryDirectory(prefix="bench-record-") as tmp:
        work = Path(tmp)
        setup_django(url, work / "media")
        reset()
        results = []
        for serial, size in enumerate(SIZES[args.size], start=1):
            print(f"… {size} recipients", flush=True)
            results.append(measure(size, serial, runs, work))
        info = machine(CHROMIUM)
    print_table(results)
    one = results[0]["weasy_median"]
    big = results[-1]
    print(
        f"goal: 1 recipient < {GOAL_ONE_SECONDS} s warm: {one:.3f} s "
        f"({'met' if one < GOAL_ONE_SECONDS else 'missed'})"
    )
    if "ratio" in big:
        print(
            f"goal: {big['recipients']} recipients no slower than Chromium: ratio "
            f"{big['ratio']:.2f} ({'met' if big['ratio'] <= 1 else 'missed'})"
        )
    if args.write_docs:
        command = (
            f".venv/bin/python -m tests.benchmarks.bench_record --size {args.size} --runs {runs}"
        )
        print(f"wrote {write_docs(results, info, command, DOCS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
