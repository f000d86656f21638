"""Intake benchmark (issue 14): extraction per document, and a folder of generated notices in
mixed formats through ``manage.py import_notice`` — dry run (extraction and the duplicate check)
and ``--commit`` (registration with the file as first attachment). Goal: the folder of 1,000 in
under 30 s with memory flat across it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_intake \\
        .venv/bin/python -m tests.benchmarks.bench_intake [--size small|full] [--write-docs]

The folder is generated once per size into ``var/bench-intake/`` (WeasyPrint makes the PDFs;
not timed) and reused. Memory: the process's resident set (VmRSS) sampled every 50 ms while the
command runs; "flat" means what it holds after the first tenth of the files does not keep
growing. Prints ``BENCH intake …`` lines (the smoke test reads them) and the calibration.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.benchmarks.common import REPO, calibrate, configure, console, emit, machine_info, step

SIZES = {"small": {"files": 40, "repeat": 3}, "full": {"files": 1000, "repeat": 10}}
FORMATS = ("txt", "gbk", "docx", "pdf", "ofd")
GOAL_SECONDS = 30.0
DOCS = REPO / "docs" / "benchmarks.md"
MARK_START, MARK_END = "<!-- bench:intake:start -->", "<!-- bench:intake:end -->"
GENERATOR_VERSION = "1"
NUMBER_STYLES = (
    "舞工信〔{y}〕{n}号",
    "舞工信[{y}]{n}号",
    "舞工信（{y}）{n}号",
    "舞工信【{y}】0{n}号",
)


def _rss_kib() -> int:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) if match else 0


@dataclass
class RssSampler:
    """VmRSS every ``interval`` seconds while running (a thread; the GIL lets it in)."""

    interval: float = 0.05
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> RssSampler:
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self._started, _rss_kib()))
            self._stop.wait(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter() - self._started, _rss_kib()))

    def profile(self) -> dict[str, float]:
        """RSS (MiB) after the first tenth of the run, at the end, and the peak."""
        total = self.samples[-1][0] or 1.0
        early = [kib for at, kib in self.samples if at >= total * 0.1] or [self.samples[-1][1]]
        return {
            "after_first_tenth_mib": early[0] / 1024,
            "end_mib": self.samples[-1][1] / 1024,
            "peak_mib": max(kib for _, kib in self.samples) / 1024,
        }


def _notice(index: int) -> list[str]:
    """Notice ``index``: the sample's layout, a number in one of four styles, every fifth title
    over two lines, every third dated in Chinese numerals, a body of 20–40 lines of the sample."""
    from tests.intake import builders

    sample = builders.sample_lines()
    year = 2023 + index % 3
    number = NUMBER_STYLES[index % 4].format(y=year, n=index + 1)
    subject = f"第{index + 1}批数字政府建设任务"
    title = [f"舞阳县工业和信息化局关于转发《关于{subject}的指导意见》的通知"]
    if index % 5 == 0:
        title = ["舞阳县工业和信息化局关于转发《关于", f"{subject}的指导意见》的通知"]
    date = (
        "二〇二三年十月八日" if index % 3 == 0 else f"{year}年{index % 12 + 1}月{index % 28 + 1}日"
    )
    body = sample[12 : 12 + 20 + index % 21]
    return builders.notice_lines(
        number=number,
        title=title,
        body=[f"现转发《关于{subject}的指导意见》，请各股室认真学习。", *body],
        closing=["舞阳县工业和信息化局", date],
    )


def generate_folder(count: int) -> Path:
    """``count`` notices, formats in turn (TXT UTF-8, TXT GBK, DOCX, PDF, OFD), cached on disk."""
    from tests.intake import builders

    folder = REPO / "var" / "bench-intake" / f"{count}-v{GENERATOR_VERSION}"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with step(f"generate {count} notices in {folder.relative_to(REPO)}"):
        for index in range(count):
            kind = FORMATS[index % len(FORMATS)]
            name, data = builders.build(kind, _notice(index))
            (folder / f"{index:04d}-{name}").write_bytes(data)
        done.write_text("ok")
    return folder


def per_document(repeat: int) -> list[dict[str, Any]]:
    """The sample notice (31 KB of text, 11 PDF pages) in each format: extraction time."""
    from circulation.intake.extraction import extract_file
    from tests.intake import builders

    rows = []
    for kind in FORMATS:
        name, data = builders.build(kind, builders.sample_lines())
        extract_file(name, data, max_bytes=50 << 20)  # warm: imports, fonts, caches
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            result = extract_file(name, data, max_bytes=50 << 20)
            times.append(1000 * (time.perf_counter() - started))
        assert result.fields["doc_number"].value == "舞工信〔2022〕25号", kind
        row = {
            "format": kind,
            "bytes": len(data),
            "median_ms": statistics.median(times),
            "min_ms": min(times),
        }
        emit(
            f"BENCH intake document format={kind} bytes={len(data)} "
            f"median_ms={row['median_ms']:.1f} min_ms={row['min_ms']:.1f}"
        )
        rows.append(row)
    return rows


def run_command(folder: Path, *args: str) -> tuple[float, str, dict[str, float]]:
    """Run the command in-process: wall seconds, its output, and RSS with the process's own CPU
    seconds (``cpu_seconds``: what the run costs this process however busy the machine is)."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    with RssSampler() as sampler:
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            call_command("import_notice", str(folder), *args, stdout=out, stderr=io.StringIO())
        except CommandError as error:
            raise SystemExit(f"import_notice failed: {error}\n{out.getvalue()[-3000:]}") from error
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    return seconds, out.getvalue(), {**sampler.profile(), "cpu_seconds": cpu}


def setup_clerk() -> None:
    from django.contrib.auth.models import Group

    from circulation.records.models import Organisation, Person
    from circulation.records.roles import CLERK
    from tests.benchmarks.common import reset_data

    reset_data()
    organisation, _ = Organisation.objects.get_or_create(
        name="舞阳县工业和信息化局", defaults={"short_name": "舞阳县工信局", "fonds_code": "Z109"}
    )
    clerk, _ = Person.objects.get_or_create(
        username="bench_clerk", defaults={"organisation": organisation, "display_name": "收发员"}
    )
    clerk.organisation = organisation
    clerk.save()
    clerk.groups.add(Group.objects.get(name=CLERK))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--write-docs", action="store_true")
    options = parser.parse_args()
    size = SIZES[options.size]
    media = tempfile.mkdtemp(prefix="bench-intake-media-")
    os.environ["MEDIA_ROOT"] = media
    url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/circulation_bench_intake"
    )
    configure(url)
    setup_clerk()
    load_before = os.getloadavg()
    calibration = calibrate()
    emit(f"BENCH intake {calibration.line()} load={load_before[0]:.2f}")
    documents = per_document(size["repeat"])
    folder = generate_folder(size["files"])
    files = size["files"]
    load_dry = os.getloadavg()
    dry_seconds, dry_out, dry_rss = run_command(folder, "--clerk", "bench_clerk")
    would = int(re.search(r"可登记 would register: (\d+)", dry_out).group(1))  # type: ignore[union-attr]
    emit(
        f"BENCH intake folder mode=dry_run files={files} would_register={would} "
        f"seconds={dry_seconds:.2f} cpu_seconds={dry_rss['cpu_seconds']:.2f} "
        f"per_file_ms={1000 * dry_seconds / files:.1f} "
        f"rss_after_tenth_mib={dry_rss['after_first_tenth_mib']:.0f} "
        f"rss_end_mib={dry_rss['end_mib']:.0f} rss_peak_mib={dry_rss['peak_mib']:.0f} "
        f"load={load_dry[0]:.2f}"
    )
    load_commit = os.getloadavg()
    commit_seconds, commit_out, commit_rss = run_command(
        folder, "--commit", "--clerk", "bench_clerk"
    )
    registered = int(re.search(r"已登记 registered: (\d+)", commit_out).group(1))  # type: ignore[union-attr]
    from circulation.records.models import Attachment, Notice

    notices, attachments = Notice.objects.count(), Attachment.objects.count()
    emit(
        f"BENCH intake folder mode=commit files={files} registered={registered} "
        f"notices={notices} attachments={attachments} seconds={commit_seconds:.2f} "
        f"cpu_seconds={commit_rss['cpu_seconds']:.2f} "
        f"per_file_ms={1000 * commit_seconds / files:.1f} "
        f"rss_after_tenth_mib={commit_rss['after_first_tenth_mib']:.0f} "
        f"rss_end_mib={commit_rss['end_mib']:.0f} rss_peak_mib={commit_rss['peak_mib']:.0f} "
        f"load={load_commit[0]:.2f}"
    )
    checks = would == files and registered == files == notices == attachments
    emit(f"BENCH intake checks={'ok' if checks else 'FAILED'} uptime={_uptime()}")
    if not checks:
        raise SystemExit("intake benchmark: counts do not add up")
    if options.write_docs:
        _write_docs(
            machine=machine_info(),
            calibration=calibration.text(),
            documents=documents,
            files=files,
            dry=(dry_seconds, dry_rss, load_dry),
            commit=(commit_seconds, commit_rss, load_commit),
            command=f"python -m tests.benchmarks.bench_intake --size {options.size} --write-docs",
        )
    console.print("[green]done[/green]")


def _uptime() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def _write_docs(**r: Any) -> None:
    m = r["machine"]
    dry_seconds, dry_rss, dry_load = r["dry"]
    commit_seconds, commit_rss, commit_load = r["commit"]
    rows = "\n".join(
        f"| {d['format']} | {d['bytes']:,} | {d['median_ms']:.1f} | {d['min_ms']:.1f} |"
        for d in r["documents"]
    )
    met = "**met** ✅" if dry_seconds < GOAL_SECONDS else "**missed** ❌"
    run_header = (
        "| run | seconds (wall) | CPU seconds (this process) | ms per file (wall) "
        "| RSS after 1/10 | RSS at end | RSS peak |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    run_rows = "\n".join(
        f"| {label} | {seconds:.1f} | {rss['cpu_seconds']:.1f} | {1000 * seconds / r['files']:.1f} "
        f"| {rss['after_first_tenth_mib']:.0f} MiB | {rss['end_mib']:.0f} MiB "
        f"| {rss['peak_mib']:.0f} MiB |"
        for label, seconds, rss in (
            ("dry run (extract + duplicate check)", dry_seconds, dry_rss),
            ("`--commit` (register + first attachment)", commit_seconds, commit_rss),
        )
    )
    section = f"""{MARK_START}
## Intake (从文件导入): extraction per document and a folder of {r["files"]:,} notices

- Machine: {m["cpu"]}, {m["cores"]} cores, {m["ram"]} RAM; PostgreSQL {m["postgresql"]} on
  loopback; Python {m["python"]}
- Date: {m["date"]}; command: `{r["command"]}`
- Calibration: {r["calibration"]}
- Load (1-minute `uptime` average, shared machine): {dry_load[0]:.2f} before the dry run,
  {commit_load[0]:.2f} before the commit run (2 cores: above 2 means the runs waited for CPU)

Per document — the sample notice 舞工信〔2022〕25号 (31 KB of text; the PDF has 11 pages),
median of the runs:

| format | bytes | median ms | min ms |
| --- | ---: | ---: | ---: |
{rows}

The folder: {r["files"]:,} generated notices, formats in turn (TXT UTF-8, TXT GBK, DOCX, PDF,
OFD), numbers in four bracket styles, every fifth title over two lines, every third date in
Chinese numerals, bodies of 20–40 lines; `manage.py import_notice FOLDER` in-process.

{run_header}
{run_rows}

Goal (the folder in under {GOAL_SECONDS:.0f} s, extraction — the dry run, wall time): {met}.
Memory: the resident set after the first tenth of the files against the end of the run (the
table keeps one small row per file; extracted bodies are dropped after each file).
{MARK_END}"""
    text = DOCS.read_text(encoding="utf-8")
    if MARK_START in text:
        text = re.sub(
            re.escape(MARK_START) + ".*?" + re.escape(MARK_END), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    try:
        main()
    finally:  # the attachments the commit run stored
        if os.environ.get("MEDIA_ROOT", "").startswith(tempfile.gettempdir()):
            shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)
