"""The reminder sweep benchmark's results: the summary of the measured runs, the console report and
this benchmark's section of docs/benchmarks.md.

Part of ``python -m tests.benchmarks.bench_sweep`` (see that module).
"""

from __future__ import annotations

import os
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from tests.benchmarks.bench_sweep_data import (
    AS_OF,
    GOAL_MB,
    GOAL_SECONDS,
    Broker,
    Built,
    Size,
)
from tests.benchmarks.bench_sweep_measure import Written
from tests.benchmarks.common import (
    REPO,
    console,
    emit,
)

DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "sweep"

# --- results -----------------------------------------------------------------------------------


def _batches(segments: list[dict[str, Any]], kind: str, full: int) -> dict[str, Any]:
    """Queries and time of the full batches of one kind (the last, short ones listed apart)."""
    mine = [s for s in segments if s["kind"] == kind]
    full_ones = [s for s in mine if s["rows"] == full]
    others = [s for s in mine if s["rows"] != full]
    seconds = [s["seconds"] for s in full_ones]
    return {
        "batches": len(mine),
        # The phase from its first batch's start to its last batch's end: with several workers
        # the batches overlap, and their times add up to more than this.
        "wall_s": round(
            max((s["started"] + s["seconds"] for s in mine), default=0.0)
            - min((s["started"] for s in mine), default=0.0),
            3,
        ),
        "workers": len({s.get("worker", "MainThread") for s in mine}),
        "full": len(full_ones),
        "batch_rows": full,
        "queries_per_full": dict(Counter(s["queries"] for s in full_ones)),
        "short": [{"rows": s["rows"], "queries": s["queries"]} for s in others],
        "seconds_total": round(sum(s["seconds"] for s in mine), 3),
        "db_seconds_total": round(sum(s["db_seconds"] for s in mine), 3),
        "seconds_median": round(statistics.median(seconds), 4) if seconds else 0.0,
        "seconds_max": round(max(seconds), 4) if seconds else 0.0,
        "db_seconds_median": (
            round(statistics.median(s["db_seconds"] for s in full_ones), 4) if full_ones else 0.0
        ),
    }


def _bounded(summary: dict[str, Any]) -> bool:
    return len(summary["queries_per_full"]) <= 1


@dataclass
class SweepBench:
    size: str
    workers: int
    acks: int
    people: int
    notices: int
    per_person: int
    as_of: str
    broker: str
    build_seconds: float
    wall_s: float
    start_s: float
    claim: dict[str, Any]
    digest: dict[str, Any]
    queries: int
    db_seconds: float
    enqueue_s: float
    enqueue_calls: int
    cpu_process_s: float
    cpu: dict[str, Any]
    rss_before_mb: float
    rss_peak_mb: float
    rss_delta_mb: float
    tracemalloc_peak_mb: float
    traced_wall_s: float
    captured_claim: dict[str, Any]
    captured_digest: dict[str, Any]
    captured_total: int
    captured_tx: int
    capture_agrees: bool
    claim_batch_sql: list[dict[str, Any]]
    digest_batch_sql: list[dict[str, Any]]
    slowest: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    result: dict[str, Any]
    written: dict[str, Any]
    met_seconds: bool
    met_queries: bool
    met_memory: bool
    goal_seconds: float = GOAL_SECONDS
    goal_mb: float = GOAL_MB
    profile_parts: list[dict[str, Any]] = field(default_factory=list)
    profile_text: str = ""
    profile_wall_s: float = 0.0
    # issue 12: the CPU calibration (common.calibrate()) timed just before and after the sweep
    calibration: dict[str, Any] = field(default_factory=dict)
    calibration_after: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.met_seconds and self.met_queries and self.met_memory

    @property
    def per_10k(self) -> float:
        """Wall seconds per 10,000 acknowledgements (the goal: 1 s)."""
        return self.wall_s * 10_000 / self.acks if self.acks else 0.0

    def calibrated(self, seconds: float) -> str:
        cal = self.calibration
        if not cal:
            return ""
        return (
            f"{seconds * 1000 / cal['python_ms']:.1f}× the pure-Python workload "
            f"({cal['python_ms']:.1f} ms), {seconds * 1000 / cal['postgres_ms']:.2f}× the "
            f"PostgreSQL workload ({cal['postgres_ms']:.1f} ms)"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"met": self.met}


def _captured_batches(captured: list[dict[str, Any]], timed: list[dict[str, Any]], kind: str):
    """The captured segments of ``kind`` whose timed twin was a full batch."""
    from workflows.reminders.digests import PERSON_BATCH
    from workflows.services.sweep import CLAIM_BATCH

    full = CLAIM_BATCH if kind == "claim" else PERSON_BATCH
    pairs = [(c, t) for c, t in zip(captured, timed, strict=True) if c["kind"] == kind == t["kind"]]
    full_ones = [c for c, t in pairs if t["rows"] == full]
    return {
        "full": len(full_ones),
        "queries_per_full": dict(Counter(c["queries"] for c in full_ones)),
        "tx_per_full": dict(Counter(c["tx"] for c in full_ones)),
    }, (full_ones[0]["sql"] if full_ones else (pairs[0][0]["sql"] if pairs else []))


def summarise(
    size_name: str,
    size: Size,
    built: Built,
    broker: Broker,
    timed: dict[str, Any],
    traced: dict[str, Any],
    written: Written,
) -> SweepBench:
    from workflows.reminders.digests import PERSON_BATCH
    from workflows.services.sweep import CLAIM_BATCH

    segments = timed["segments"]
    claim = _batches(segments, "claim", CLAIM_BATCH)
    digest = _batches(segments, "digest", PERSON_BATCH)
    captured = traced["captured"]
    captured_claim, claim_sql = _captured_batches(captured, traced["segments"], "claim")
    captured_digest, digest_sql = _captured_batches(captured, traced["segments"], "digest")
    agrees = [c["queries"] for c in captured] == [s["queries"] for s in traced["segments"]] and [
        s["queries"] for s in traced["segments"]
    ] == [s["queries"] for s in segments]
    every = [q for c in captured for q in c["sql"]]
    slowest = sorted(every, key=lambda q: q["seconds"], reverse=True)[:6]
    mb = 1024.0
    rss_delta = (timed["maxrss_after_kb"] - timed["maxrss_before_kb"]) / mb
    tracemalloc_peak = traced["tracemalloc_peak"] / 1024 / 1024
    return SweepBench(
        size=size_name,
        workers=int(timed.get("workers", 1)),
        acks=size.acks,
        people=size.people,
        notices=size.notices,
        per_person=size.per_person,
        as_of=AS_OF.isoformat(),
        broker=broker.describe(),
        build_seconds=built.seconds,
        wall_s=round(timed["wall_s"], 3),
        start_s=round(segments[0]["seconds"], 3),
        claim=claim,
        digest=digest,
        queries=sum(s["queries"] for s in segments),
        db_seconds=round(sum(s["db_seconds"] for s in segments), 3),
        enqueue_s=round(timed["enqueue"]["seconds"], 3),
        enqueue_calls=timed["enqueue"]["calls"],
        cpu_process_s=round(timed["cpu_process_s"], 2),
        cpu=timed["cpu"],
        rss_before_mb=round(timed["maxrss_before_kb"] / mb, 1),
        rss_peak_mb=round(timed["maxrss_after_kb"] / mb, 1),
        rss_delta_mb=round(rss_delta, 1),
        tracemalloc_peak_mb=round(tracemalloc_peak, 1),
        traced_wall_s=round(traced["wall_s"], 3),
        captured_claim=captured_claim,
        captured_digest=captured_digest,
        captured_total=sum(c["queries"] for c in captured),
        captured_tx=sum(c["tx"] for c in captured),
        capture_agrees=agrees,
        claim_batch_sql=claim_sql,
        digest_batch_sql=digest_sql,
        slowest=slowest,
        statements=timed["statements"],
        result=timed["result"],
        written=asdict(written),
        met_seconds=timed["wall_s"] < GOAL_SECONDS,
        met_queries=_bounded(claim)
        and _bounded(digest)
        and len(captured_claim["queries_per_full"]) <= 1
        and len(captured_digest["queries_per_full"]) <= 1
        and agrees,
        met_memory=rss_delta < GOAL_MB and tracemalloc_peak < GOAL_MB,
    )


def _phase(summary: dict[str, Any]) -> float:
    """The phase's wall time (older results have only the sum of their batches)."""
    return float(summary.get("wall_s", summary["seconds_total"]))


def _overlap(summary: dict[str, Any]) -> str:
    workers = summary.get("workers", 1)
    if workers <= 1:
        return ""
    total = summary["seconds_total"]
    return f" on {workers} connections, their batch times adding up to {total:.2f} s"


def _ok(met: bool) -> str:
    return "[green]met[/green]" if met else "[red]missed[/red]"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds else "—"


def _per_batch(summary: dict[str, Any]) -> str:
    counts = summary["queries_per_full"]
    if not counts:
        return "no full batch"
    shown = ", ".join(f"{q} queries × {n}" for q, n in sorted(counts.items()))
    return f"{shown} full batches of {summary['batch_rows']:,}"


def print_result(r: SweepBench) -> None:
    table = Table(title=f"催办扫描 run_reminder_sweep: {r.acks:,} overdue acknowledgements")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal / note")
    table.add_row(
        "data",
        f"{r.acks:,} acks",
        f"{r.people:,} people × {r.per_person} notices, {r.notices:,} notices "
        f"[dim](built in {r.build_seconds:.1f} s)[/dim]",
    )
    table.add_row(
        "wall time, one sweep",
        f"{r.wall_s:.2f} s",
        f"< {r.goal_seconds:.0f} s {_ok(r.met_seconds)}; REMINDER_SWEEP_WORKERS={r.workers}",
    )
    table.add_row(
        "  claim + decide + write reminders",
        f"{_phase(r.claim):.2f} s",
        f"{r.claim['batches']} claim looks{_overlap(r.claim)}; per full batch median "
        f"{_ms(r.claim['seconds_median'])}, max {_ms(r.claim['seconds_max'])}",
    )
    table.add_row(
        "  digests + notifications + outbox",
        f"{_phase(r.digest):.2f} s",
        f"{r.digest['batches']} digest looks{_overlap(r.digest)}; per full batch median "
        f"{_ms(r.digest['seconds_median'])}; of which publishing {r.enqueue_calls} "
        f"task batches {r.enqueue_s:.2f} s",
    )
    table.add_row(
        "  per 10,000 acknowledgements",
        f"{r.per_10k:.3f} s",
        f"goal {r.goal_seconds * 10_000 / r.acks:.2f} s; sweep process CPU "
        f"{r.cpu_process_s * 10_000 / r.acks:.3f} s",
    )
    if r.calibration:
        table.add_row(
            "  against the calibration",
            f"{r.per_10k * 1000 / r.calibration['python_ms']:.1f}× Python",
            f"per 10,000: {r.calibrated(r.per_10k)}; goal per 10,000: "
            f"{r.calibrated(r.goal_seconds * 10_000 / r.acks)}",
        )
    table.add_row("  before the first claim", f"{r.start_s:.3f} s", "run log, plans, locks")
    table.add_row(
        "queries (one sweep)",
        f"{r.queries:,}",
        f"{r.db_seconds:.2f} s waiting on PostgreSQL; CaptureQueriesContext: "
        f"{r.captured_total:,} + {r.captured_tx} BEGIN/COMMIT "
        f"({'agrees' if r.capture_agrees else '[red]differs[/red]'})",
    )
    table.add_row(
        "  per claim batch",
        _per_batch(r.claim),
        f"bounded {_ok(r.met_queries)}; short: "
        + (", ".join(f"{s['rows']} rows → {s['queries']}" for s in r.claim["short"]) or "none"),
    )
    table.add_row(
        "  per digest batch",
        _per_batch(r.digest),
        "short: "
        + (", ".join(f"{s['rows']} people → {s['queries']}" for s in r.digest["short"]) or "none"),
    )
    table.add_row(
        "written",
        f"{r.written['reminders']:,} reminders",
        f"{r.written['digests']:,} digests (each {r.written['reminders_per_digest']} reminders), "
        f"{r.written['notifications']:,} notifications, {r.written['messages']:,} messages, "
        f"{r.written['tasks_queued']:,} delivery tasks queued (each message in one, up to "
        f"{r.written['largest_chunk']} a task)",
    )
    table.add_row(
        "memory: ru_maxrss growth",
        f"{r.rss_delta_mb:.1f} MB",
        f"< {r.goal_mb:.0f} MB {_ok(r.met_memory)}; process peak {r.rss_peak_mb:.1f} MB "
        f"(from {r.rss_before_mb:.1f} MB after Django set-up)",
    )
    table.add_row(
        "memory: tracemalloc peak",
        f"{r.tracemalloc_peak_mb:.1f} MB",
        f"Python allocations (traced pass, {r.traced_wall_s:.1f} s under tracing)",
    )
    table.add_row(
        "audit chain",
        "verifies" if r.written["chain_ok"] else "[red]BROKEN[/red]",
        f"{r.written['chain_checked']:,} events; {r.written['reminded_events']:,} notice.reminded",
    )
    table.add_row(
        "second sweep, same as_of",
        f"{r.written['second_new_rows']} new rows",
        f"claimed {r.written['second']['claimed']:,}, reminders "
        f"{r.written['second']['reminders']}, digests {r.written['second']['digests']}, "
        f"tasks {r.written['second_tasks']}",
    )
    console.print(table)
    shares = r.cpu.get("shares", {})
    console.print(
        f"  CPU during the timed sweep: machine {r.cpu.get('busy_pct', 0):.0f} % busy of "
        f"{os.cpu_count()} cores — sweep process {shares.get('sweep', 0):.0f} %, PostgreSQL "
        f"{shares.get('postgres', 0):.0f} %, other processes {shares.get('other', 0):.0f} %; "
        f"load average before {r.cpu.get('load_before', '?')}; the process used "
        f"{r.cpu_process_s:.2f} s of CPU in {r.wall_s:.2f} s"
    )
    console.print(f"  broker: {r.broker}")
    if r.calibration:
        after = r.calibration_after
        console.print(
            f"  calibration: pure-Python {r.calibration['python_ms']:.1f} ms, PostgreSQL "
            f"{r.calibration['postgres_ms']:.1f} ms before the timed sweep"
            + (f"; {after['python_ms']:.1f} / {after['postgres_ms']:.1f} ms after" if after else "")
        )
    if r.statements:
        kinds = Table(title="statements of the timed sweep, by kind (time inside execute)")
        kinds.add_column("statement")
        kinds.add_column("count", justify="right")
        kinds.add_column("s", justify="right")
        for row in r.statements:
            kinds.add_row(row["statement"], f"{row['count']:,}", f"{row['seconds']:.2f}")
        console.print(kinds)
    if r.claim_batch_sql:
        console.print("  statements of one full claim batch (traced pass):")
        for q in r.claim_batch_sql:
            console.print(f"   [dim]{q['seconds']:.3f} s  {q['sql']}[/dim]", markup=True)
    if r.digest_batch_sql:
        console.print("  statements of one full digest batch (traced pass):")
        for q in r.digest_batch_sql:
            console.print(f"   [dim]{q['seconds']:.3f} s  {q['sql']}[/dim]", markup=True)
    if r.profile_parts:
        parts = Table(title=f"where the time goes (cProfile, {r.profile_wall_s:.1f} s profiled)")
        parts.add_column("part")
        parts.add_column("calls", justify="right")
        parts.add_column("cumulative s", justify="right")
        for part in r.profile_parts:
            parts.add_row(part["part"], f"{part['calls']:,}", f"{part['seconds']:.2f}")
        console.print(parts)
    if r.profile_text:
        console.print(r.profile_text, markup=False, highlight=False)
    # Every claim batch that claimed something (full or the last, shorter one of a worker) costs
    # the same: one count means bounded.
    per_claim_counts = set(r.claim["queries_per_full"]) | {
        s["queries"] for s in r.claim["short"] if s["rows"] > 0
    }
    per_claim = "/".join(str(q) for q in sorted(per_claim_counts)) or "-"
    emit(
        f"BENCH sweep size={r.size} workers={r.workers} acks={r.acks} people={r.people} "
        f"reminders={r.written['reminders']} digests={r.written['digests']} "
        f"messages={r.written['messages']} notifications={r.written['notifications']} "
        f"batches={r.result['batches']} queries={r.queries} per_claim_batch={per_claim} "
        f"chain={'ok' if r.written['chain_ok'] else 'broken'} "
        f"second_sweep_new={r.written['second_new_rows']} wall_s={r.wall_s:.3f} "
        f"per_10k_s={r.per_10k:.3f} "
        + (
            f"calibration_python_ms={r.calibration['python_ms']:.1f} "
            f"calibration_postgres_ms={r.calibration['postgres_ms']:.1f} "
            if r.calibration
            else ""
        )
        + f"rss_delta_mb={r.rss_delta_mb:.1f} tracemalloc_peak_mb={r.tracemalloc_peak_mb:.1f} "
        f"goal_met={'yes' if r.met else 'no'}"
    )


# --- docs/benchmarks.md ------------------------------------------------------------------------

START, END = f"<!-- bench:{SECTION}:start -->", f"<!-- bench:{SECTION}:end -->"
NOTES_START, NOTES_END = (
    f"<!-- bench:{SECTION}:notes:start -->",
    f"<!-- bench:{SECTION}:notes:end -->",
)


def _yes(met: bool) -> str:
    return "**met** ✅" if met else "**missed** ❌"


def _indent(label: str) -> str:
    """Leading spaces survive a markdown table as em spaces."""
    stripped = label.lstrip(" ")
    return "&emsp;" * ((len(label) - len(stripped)) // 2) + stripped


def _md_batches(summary: dict[str, Any], unit: str) -> str:
    short = ", ".join(f"{s['rows']:,} {unit} → {s['queries']}" for s in summary["short"])
    return f"{_per_batch(summary)}" + (f"; the short/empty last look: {short}" if short else "")


def docs_section(r: SweepBench, machine: dict[str, str], command: str, notes: str) -> str:
    shares = r.cpu.get("shares", {})
    w = r.written
    lines = [
        f"## Reminder sweep (催办扫描): `run_reminder_sweep` over {r.acks:,} overdue "
        "acknowledgements\n",
        f"Goal (issue 3): sweep {r.acks:,} pending acknowledgements held by {r.people:,} people "
        f"across {r.notices:,} notices — claim them and write all digests — in under "
        f"{r.goal_seconds:.0f} s, with a bounded number of queries per batch, in under "
        f"{r.goal_mb:.0f} MB. Result: time {_yes(r.met_seconds)}, queries per batch "
        f"{_yes(r.met_queries)}, memory {_yes(r.met_memory)}. Per 10,000 acknowledgements: "
        f"**{r.per_10k:.3f} s** (goal {r.goal_seconds * 10_000 / r.acks:.2f} s)"
        + (
            f"; on another machine, the goal per 10,000 is "
            f"{r.calibrated(r.goal_seconds * 10_000 / r.acks)} of this run's calibration, and "
            f"this run took {r.calibrated(r.per_10k)}.\n"
            if r.calibration
            else ".\n"
        ),
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM; "
        f"PostgreSQL {machine['postgresql']} on loopback; Python {machine['python']} "
        f"({machine['platform']})",
        f"- Date: {machine['date']}",
        f"- Command: `{command}` — `REMINDER_SWEEP_WORKERS={r.workers}` (the sweep's claim "
        f"batches, then its digest batches, on {r.workers} database "
        f"connection{'s' if r.workers != 1 else ''} at once)",
        f"- Broker: {r.broker}",
    ]
    if r.calibration:
        after = r.calibration_after
        lines.append(
            "- Calibration (`tests/benchmarks/common.py: calibrate()`, best of "
            f"{r.calibration['runs']}, in the benchmark's process just before the timed sweep): "
            f"pure-Python workload **{r.calibration['python_ms']:.1f} ms**, PostgreSQL workload "
            f"**{r.calibration['postgres_ms']:.1f} ms**"
            + (
                f"; {after['python_ms']:.1f} ms / {after['postgres_ms']:.1f} ms just after"
                if after
                else ""
            )
        )
    lines += [
        f"- CPU during the timed sweep: the machine was {r.cpu.get('busy_pct', 0):.0f} % busy "
        f"(sweep process {shares.get('sweep', 0):.0f} %, PostgreSQL "
        f"{shares.get('postgres', 0):.0f} % — its backends, including those of the worker "
        f"connections that closed before the end —, **other processes "
        f"{shares.get('other', 0):.0f} %**: other work on these {machine['cores']} cores); load "
        f"average before {r.cpu.get('load_before', '?')}; the sweep process used "
        f"{r.cpu_process_s:.2f} s of CPU in {r.wall_s:.2f} s of wall time",
        "",
        "| measure | value |",
        "|---|---|",
        f"| data | {r.acks:,} pending acknowledgements, all overdue at {r.as_of}: "
        f"{r.people:,} people × {r.per_person} notices each, {r.notices:,} circulating notices |",
        f"| wall time of one `run_reminder_sweep(as_of=…)` | **{r.wall_s:.2f} s** "
        f"(goal < {r.goal_seconds:.0f} s), `REMINDER_SWEEP_WORKERS={r.workers}` |",
        f"| per 10,000 acknowledgements | **{r.per_10k:.3f} s** wall, "
        f"{r.cpu_process_s * 10_000 / r.acks:.3f} s of the sweep process's CPU"
        + (
            f"; = {r.per_10k * 1000 / r.calibration['python_ms']:.1f}× the pure-Python and "
            f"{r.per_10k * 1000 / r.calibration['postgres_ms']:.2f}× the PostgreSQL calibration "
            "workload"
            if r.calibration
            else ""
        )
        + " |",
        f"| claim, decide, write reminders + audit | {_phase(r.claim):.2f} s in "
        f"{r.claim['batches']} claim transactions{_overlap(r.claim)} (full batch: median "
        f"{_ms(r.claim['seconds_median'])}, max {_ms(r.claim['seconds_max'])}; "
        f"{r.claim['db_seconds_total']:.2f} s of it in PostgreSQL) |",
        f"| digests, notifications, outbox messages | {_phase(r.digest):.2f} s in "
        f"{r.digest['batches']} digest transactions{_overlap(r.digest)} (full batch: median "
        f"{_ms(r.digest['seconds_median'])}; {r.digest['db_seconds_total']:.2f} s in "
        f"PostgreSQL), of which publishing the delivery tasks after each commit "
        f"{r.enqueue_s:.2f} s |",
        f"| queries, whole sweep | **{r.queries:,}** ({r.db_seconds:.2f} s waiting on "
        f"PostgreSQL); `CaptureQueriesContext` of the traced run: {r.captured_total:,} + "
        f"{r.captured_tx} BEGIN/COMMIT, per batch "
        f"{'the same' if r.capture_agrees else '**different**'} |",
        f"| queries per claim batch | **{_md_batches(r.claim, 'rows')}** |",
        f"| queries per digest batch | **{_md_batches(r.digest, 'people')}** |",
        f"| written | {w['reminders']:,} reminders (overdue, window 2022-10-12), "
        f"{w['digests']:,} digests of {', '.join(map(str, w['reminders_per_digest']))} "
        f"reminders each, {w['notifications']:,} in-app notifications, {w['messages']:,} email "
        f"messages, {w['tasks_queued']:,} `deliver_messages` tasks in the broker (every message "
        f"id in exactly one, at most {w['largest_chunk']} a task), "
        f"{w['reminded_events']:,} `notice.reminded` audit events |",
        f"| memory: `ru_maxrss` growth during the call | **{r.rss_delta_mb:.1f} MB** (process "
        f"peak {r.rss_peak_mb:.1f} MB, {r.rss_before_mb:.1f} MB after Django set-up) |",
        f"| memory: `tracemalloc` peak | **{r.tracemalloc_peak_mb:.1f} MB** (traced run) |",
        f"| audit chain after the sweep | {'verifies' if w['chain_ok'] else '**BROKEN**'} "
        f"({w['chain_checked']:,} events) |",
        f"| second sweep at the same `as_of` | claimed {w['second']['claimed']:,}, wrote "
        f"{w['second']['reminders']} reminders, {w['second']['digests']} digests, "
        f"{w['second_new_rows']} new rows, {w['second_tasks']} new tasks |",
        "",
        "Method: `tests/benchmarks/bench_sweep.py` builds the data in its own database "
        "(`circulation_bench_sweep`) with `bulk_create` and `COPY`, as the services would have "
        "written it: 100 股室 of 100 people with a head each and an email address each, 1,000 "
        "notices registered (发文字号, 收文登记号) and forwarded to one unit each between "
        "2022-09-19 and 09-28 with `add_working_days(…, 5)` deadlines (at the latest "
        "2022-10-10 17:30, across the National Day holiday and its 调休 weekend), the rounds "
        "and the hash-chained audit events of 签收/登记/传阅, then `VACUUM ANALYZE`. The default "
        "reminder policy applies, so each acknowledgement is due one `overdue` reminder and none "
        "escalates yet. Each measured sweep is one call in a fresh Python process (as a worker "
        f"runs it) on freshly built data, with `REMINDER_SWEEP_WORKERS={r.workers}`: the claim "
        f"phase runs in {r.workers} thread{'s' if r.workers != 1 else ''}, each on its own "
        "database connection and the acknowledgements of its share of the notices (notice id "
        "modulo the number of workers), then the digest phase likewise on shares of the "
        "people (1 = everything on the caller's connection, one batch after the other). "
        "The **timed** run counts statements per batch with a `connection.execute_wrapper` "
        "that keeps no SQL text, installed on every connection the sweep opens, and reads "
        "`ru_maxrss` before and after; a phase's time runs from its first batch's start to "
        "its last batch's end. The **traced** run repeats the call under "
        "`CaptureQueriesContext` (and the worker connections' own query logs; statement texts "
        "cut to head and tail as they are captured) and `tracemalloc`, which would slow and "
        "inflate the timed one. The outbox hand-over is real: after each digest batch commits, "
        "one `deliver_messages` task per chunk of up to 50 message ids is published to "
        "the broker (a queue that no worker consumes, emptied afterwards); the script reads the "
        "tasks back and checks that every message id is in exactly one. After the timed run the "
        "script checks "
        "every count above, `verify_chain()`, and that a second sweep at the same moment "
        "changes nothing.",
        "",
    ]
    if r.statements:
        lines += [
            "Statements of the timed sweep by kind (time inside `execute`: sending, client-side "
            "binding and waiting for PostgreSQL):",
            "",
            "| statement | count | s |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| `{row['statement']}` | {row['count']:,} | {row['seconds']:.2f} |"
            for row in r.statements
        ]
        lines.append("")
    if r.claim_batch_sql:
        lines += ["Statements of one full claim batch (traced run, seconds):", "", "```"]
        lines += [f"{q['seconds']:.3f}  {q['sql']}" for q in r.claim_batch_sql]
        lines += ["```", ""]
    if r.digest_batch_sql:
        lines += ["Statements of one full digest batch (traced run, seconds):", "", "```"]
        lines += [f"{q['seconds']:.3f}  {q['sql']}" for q in r.digest_batch_sql]
        lines += ["```", ""]
    if r.profile_parts:
        lines += [
            f"Where the time goes (cProfile of one more sweep on fresh data, "
            f"{r.profile_wall_s:.1f} s under the profiler, cumulative seconds summed over the "
            "threads that ran the batches — the workers' profiles merged with the caller's):",
            "",
            "| part | calls | s |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {_indent(p['part'])} | {p['calls']:,} | {p['seconds']:.2f} |"
            for p in r.profile_parts
        ]
        lines.append("")
    if r.profile_text:
        lines += [
            "<details><summary>cProfile of one sweep</summary>",
            "",
            "```",
            r.profile_text.strip(),
            "```",
            "",
            "</details>",
            "",
        ]
    lines += [NOTES_START, notes.strip("\n"), NOTES_END] if notes.strip() else []
    return "\n".join(lines)


def _existing_notes(text: str) -> str:
    """Hand-written notes kept between the notes markers inside this section."""
    match = re.search(
        re.escape(START) + r".*?" + re.escape(NOTES_START) + r"\n?(.*?)" + re.escape(NOTES_END),
        text,
        flags=re.DOTALL,
    )
    return match.group(1) if match else ""


def write_docs(r: SweepBench, machine: dict[str, str], command: str) -> Path:
    """Replace only this benchmark's section of docs/benchmarks.md (re-read just before)."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    body = docs_section(r, machine, command, _existing_notes(text))
    block = f"{START}\n{body.rstrip()}\n{END}"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), flags=re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text, count=1)
    elif text.strip():
        text = text.rstrip() + "\n\n" + block + "\n"
    else:
        from tests.benchmarks.docs import HEADER

        text = HEADER + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")
    return DOCS
