"""Benchmark: rendering the acknowledgement record (阅知确认单) for 1, 100 and 1,000 recipients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_record \\
        .venv/bin/python -m tests.benchmarks.bench_record [--size small|full] [--runs N] \\
        [--write-docs]

The database is always a ``circulation_bench_record*`` one on the server of ``DATABASE_URL``
(the name is replaced when it is another), created when missing and migrated; its records tables
are emptied (TRUNCATE) at the start. Files go to a temporary MEDIA_ROOT. For each size: the
record's data is built through the services (register, forward) plus bulk updates
(opened/confirmed/returned, comments, reminders); then, warm (one untimed render first),
``render_record`` — coverage check, template, sandboxed WeasyPrint render to PDF/A-3b with the
JSON and an attachment embedded, the listing drawn straight onto the page — is timed against a
**warm Chromium**: one long-lived Debian Chromium (``/usr/bin/chromium``, the flags of
tests/browser/conftest.py) driven by Playwright, whose one persistent page loads the same record
as HTML (the template with the listing as text, the same CSS and fonts; the QR code as a data
URL) from a file and prints it (``page.pdf()``, i.e. DevTools ``Page.printToPDF``), interleaved
run by run. Both PDFs' page counts are read back with pypdf and must be equal. Wall time and CPU
time (WeasyPrint's helper process; Chromium's processes) are recorded, with the load and a CPU
calibration (``common.calibrate()``) before and after. ``current_record`` (read the data, render,
store, audit) is timed too, after a change to the data before each run. ``--write-docs``
replaces the ``<!-- bench:record:… -->`` section of docs/benchmarks.md. Exit 1 when a
correctness check fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.benchmarks.bench_record_report import goal_lines, machine, print_table, write_docs

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"
DB_PREFIX = "circulation_bench_record"
SIZES = {"full": (1, 100, 1000), "small": (1, 20)}
CHROMIUM = "/usr/bin/chromium"
# As tests/browser/conftest.py launches Debian's Chromium (Playwright adds --headless).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TICK = os.sysconf("SC_CLK_TCK")


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

    from circulation.records.actors import Actor
    from circulation.records.models import Acknowledgement, Membership, Organisation, Person, Unit
    from circulation.records.roles import CLERK
    from tests.helpers import small_pdf
    from workflows.services.attachments import add_attachment
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


def _descendants(pid: int) -> list[int]:
    from tests.benchmarks.common import child_pids

    found, todo = [], [pid]
    while todo:
        children = child_pids(todo.pop())
        found += children
        todo += children
    return found


def _chromium_ticks() -> int:
    """CPU ticks of the Chromium processes under this one (browser, renderer, GPU, utility)."""
    from tests.benchmarks.common import process_ticks

    total = 0
    for pid in _descendants(os.getpid()):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith("chrom"):
            total += process_ticks(pid)
    return total


def _chromium_rss() -> int:
    """Resident memory of all Chromium processes under this one, in bytes (summed)."""
    total = 0
    for pid in _descendants(os.getpid()):
        try:
            if not Path(f"/proc/{pid}/comm").read_text().startswith("chrom"):
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


class WarmChromium:
    """One long-lived headless Chromium with one page, printing HTML files to PDF."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        # Playwright's sync API runs an event loop in this thread, where the benchmark also uses
        # the ORM: allowed in this process only.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        self.version = f"Chromium {self.browser.version} (headless, Playwright)"
        self.page = self.browser.new_page()

    def print(self, html_path: Path) -> tuple[float, float, bytes]:
        """Load the file and print it: (wall seconds, Chromium CPU seconds, PDF)."""
        ticks = _chromium_ticks()
        started = time.perf_counter()
        self.page.goto(html_path.as_uri(), wait_until="load")
        pdf = self.page.pdf(prefer_css_page_size=True, print_background=True)
        seconds = time.perf_counter() - started
        return seconds, (_chromium_ticks() - ticks) / TICK, pdf

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()


def page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure(
    size: int, serial: int, runs: int, work: Path, chromium: WarmChromium | None
) -> dict[str, Any]:
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from circulation.ackrecord.data import collect_record_data, content_hash
    from circulation.ackrecord.render import build_html, render_record
    from circulation.ackrecord.renditions import _attachment_files, current_record
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
    if page_count(warm.pdf) != warm.page_count:
        raise RuntimeError(f"{size} recipients: pypdf reads another page count than WeasyPrint")
    # The same record for Chromium: the template with the listing as text (a browser cannot
    # use WeasyPrint's drawn listing), the same stylesheet and fonts.
    html_dir = work / f"html{size}"
    shutil.copytree(REPO / "circulation" / "ackrecord" / "static", html_dir)
    html_path = html_dir / "record.html"
    html_path.write_text(
        build_html(
            data, rendition_id=uuid.uuid4(), generated_at=timezone.now(), content_hash=digest
        ),
        encoding="utf-8",
    )
    result: dict[str, Any] = {
        "recipients": size,
        "pages": warm.page_count,
        "pdf_bytes": len(warm.pdf),
    }
    if chromium:
        *_, pdf = chromium.print(html_path)  # untimed, like WeasyPrint's first render
        result["chromium_pages"] = page_count(pdf)
        result["chromium_pdf_bytes"] = len(pdf)
    weasy_s, weasy_cpu, rss, growth, chrome_s, chrome_cpu, chrome_rss = [], [], [], [], [], [], []
    parent_cpu: list[float] = []
    for run in range(runs):
        order = ("weasy", "chromium") if run % 2 == 0 else ("chromium", "weasy")
        for engine in order:
            if engine == "weasy":
                started, own_cpu = time.perf_counter(), time.process_time()
                rendered = weasy()
                weasy_s.append(time.perf_counter() - started)
                own_cpu = time.process_time() - own_cpu  # coverage check, template, pipes
                assert rendered.stats is not None
                weasy_cpu.append(rendered.stats.cpu_seconds + own_cpu)
                parent_cpu.append(own_cpu)
                rss.append(rendered.stats.max_rss_bytes)
                growth.append(rendered.stats.max_rss_bytes - rendered.stats.start_rss_bytes)
            elif chromium:
                seconds, cpu, pdf = chromium.print(html_path)
                chrome_s.append(seconds)
                chrome_cpu.append(cpu)
                chrome_rss.append(_chromium_rss())
                if page_count(pdf) != result["chromium_pages"]:
                    raise RuntimeError("Chromium's page count changed between prints")
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
        weasy_cpu_median=statistics.median(weasy_cpu),
        weasy_parent_cpu_median=statistics.median(parent_cpu),
        weasy_peak_rss=max(rss),
        weasy_growth=max(growth),
        service_seconds=service_s,
        service_median=statistics.median(service_s),
        chromium_seconds=chrome_s,
        chromium_median=statistics.median(chrome_s) if chrome_s else None,
        chromium_cpu_median=statistics.median(chrome_cpu) if chrome_cpu else None,
        chromium_rss=max(chrome_rss) if chrome_rss else None,
    )
    if chrome_s:
        result["ratio"] = result["weasy_median"] / result["chromium_median"]
        result["cpu_ratio"] = result["weasy_cpu_median"] / max(result["chromium_cpu_median"], 1e-3)
        # Per-run ratios of the interleaved pairs: the spread under a shared machine's load.
        result["pair_ratios"] = [w / c for w, c in zip(weasy_s, chrome_s, strict=True)]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_record")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per size (median)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    runs = args.runs or (7 if args.size == "full" else 1)
    url = database_url(
        os.environ.get("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_PREFIX}")
    )
    from tests.benchmarks.common import calibrate

    with tempfile.TemporaryDirectory(prefix="bench-record-") as tmp:
        work = Path(tmp)
        setup_django(url, work / "media")
        reset()
        load_start = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        calibration_start = calibrate()
        print(calibration_start.line(), flush=True)
        from circulation.ackrecord.render import warm_up

        warm_up()
        chromium = WarmChromium() if Path(CHROMIUM).exists() else None
        try:
            results = []
            for serial, size in enumerate(SIZES[args.size], start=1):
                print(f"… {size} recipients", flush=True)
                results.append(measure(size, serial, runs, work, chromium))
        finally:
            if chromium:
                chromium.close()
        calibration_end = calibrate()
        print(calibration_end.line(), flush=True)
        info = machine(CHROMIUM)
        info.update(
            load_start=load_start,
            chromium=chromium.version if chromium else "Chromium not installed",
            calibration=f"before: {calibration_start.text()}; after: {calibration_end.text()}",
            python_ms=f"{min(calibration_start.python_ms, calibration_end.python_ms):.1f}",
        )
    print_table(results)
    failed = False
    for r in results:
        if "chromium_pages" in r and r["chromium_pages"] != r["pages"]:
            print(
                f"CHECK FAILED: {r['recipients']} recipients: WeasyPrint {r['pages']} pages, "
                f"Chromium {r['chromium_pages']}"
            )
            failed = True
    for line in goal_lines(results):
        print(line)
    if args.write_docs and not failed:
        command = (
            f".venv/bin/python -m tests.benchmarks.bench_record --size {args.size} --runs {runs}"
        )
        print(f"wrote {write_docs(results, info, command, DOCS)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
