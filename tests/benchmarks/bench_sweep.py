"""催办扫描 at scale: one ``run_reminder_sweep`` over 100,000 overdue acknowledgements.

    .venv/bin/python -m tests.benchmarks.bench_sweep [--size small|full] [--write-docs]
        [--workers N] [--broker auto|redis|filesystem] [--profile] [--quiet-wait SECONDS]
        [--json PATH]

Full size: one organisation of 10,000 people (100 股室 × 100 members, a head each, everyone with an
email address) and 1,000 circulating notices, each forwarded to one unit (100 people) with a
deadline of 5 working days that has passed, so that 100,000 pending acknowledgements are all
overdue at ``AS_OF`` (Wednesday 2022-10-12 10:00 Asia/Shanghai, a working day within office
hours, after the National Day holiday and its 调休 weekend). Every person holds 10 of them.
Small size: 100 people in 10 units, 10 notices forwarded to all of them (1,000 acknowledgements).

The data is written with ``bulk_create`` and ``COPY`` — not through the services — but as they
would write it: organisation, units with heads, people with emails, memberships and roles,
notices in state circulating with 发文字号 and 收文登记号, their registration counter, one
circulation round each (with its unit), acknowledgements with the round's ``due_at`` and the
audit events of 签收, 登记 and 传阅 (a valid hash chain).

The sweep runs its batches on ``REMINDER_SWEEP_WORKERS`` connections (the setting's default, or
``--workers N``), each thread on the acknowledgements of its share of the notices, then on its
share of the people; the statements are counted on every connection, batch by batch.

Each measured sweep runs in a fresh child process on freshly built data (a worker process runs
one sweep; the high-water mark of its memory means something only there):

1. **timed**: wall time of one ``run_reminder_sweep(as_of=AS_OF)``, queries per claim batch and
   per digest batch counted by a ``connection.execute_wrapper`` (which keeps no SQL text), the
   process's ``ru_maxrss`` before and after, CPU of the process and of PostgreSQL;
2. **traced**: the same call under ``CaptureQueriesContext`` (statement texts cut to head and
   tail as they are captured, so that holding them weighs nothing) and ``tracemalloc`` (which
   slows the call several-fold, hence not in the timed pass): the tracemalloc peak, and the
   per-batch query counts from the captured queries, which must equal the timed pass's;
3. **profile** (with ``--profile``, or when a full-size goal is missed): the same call under
   cProfile, summarised by the parts of the sweep.

After the timed pass the parent checks what was written (reminders, digests, notifications,
messages, counters, audit events, every message id in exactly one task in the broker), that the
audit chain verifies, and that a second sweep at the same ``as_of`` writes nothing.

The outbox hand-over is real: after each digest batch commits, one ``deliver_messages`` task per
chunk of up to 50 message ids is published to the broker — Redis (``$BENCH_REDIS_URL``, else db 14,
a queue of this run's own that no worker consumes, deleted afterwards) when it answers, else
kombu's filesystem transport in a temporary folder (the project's broker when there is no
``REDIS_URL``).

Goals (issue 3): under 10 s, bounded queries per batch, under 200 MB. The database,
``circulation_bench_sweep`` unless ``--database-url`` says otherwise (it must be named
``circulation_bench*``), is created when missing, migrated, and emptied before each build.
``--write-docs`` replaces only this benchmark's section of docs/benchmarks.md, keeping any notes
written between its ``bench:sweep:notes`` markers. Exit status: 0 when every correctness check
passed (a missed performance goal is reported, not failed, unless ``--strict``), 1 otherwise.

This module is the entry point; the work is in ``bench_sweep_data`` (sizes, broker, ``build``),
``bench_sweep_measure`` (statement accounting, the child processes, the checks) and
``bench_sweep_report`` (summary, console report, docs section).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.benchmarks.bench_sweep_data import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    SIZES,
    build,
    choose_broker,
)
from tests.benchmarks.bench_sweep_measure import check_written, child_main, run_child
from tests.benchmarks.bench_sweep_report import SweepBench, print_result, summarise, write_docs
from tests.benchmarks.common import (
    REPO,
    BenchError,
    calibrate,
    configure,
    console,
    emit,
    machine_info,
    parse_database_url,
    step,
    wait_quiet,
)

# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_sweep",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_SWEEP_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help=f"a circulation_bench* PostgreSQL database (default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--broker",
        choices=["auto", "redis", "filesystem"],
        default="auto",
        help="where delivery tasks are published: auto = Redis when it answers at "
        "--redis-url, else kombu's filesystem transport in a temporary folder",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--workers",
        type=int,
        help="REMINDER_SWEEP_WORKERS for the measured sweeps (default: the setting's)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile one more sweep (always when a goal of the full size is missed)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        help="wait up to this many seconds for the machine to be idle before the timed sweep "
        "(default: 180 for --size full, 0 for small)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a performance goal is missed"
    )
    parser.add_argument("--child", choices=["timed", "traced", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def command_line(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python", "-m", "tests.benchmarks.bench_sweep", "--size", args.size]
    if args.broker != "auto":
        parts += ["--broker", args.broker]
    if args.workers:
        parts += ["--workers", str(args.workers)]
    if args.profile:
        parts.append("--profile")
    if args.database_url != DEFAULT_DATABASE_URL:
        url = urlsplit(args.database_url)
        if url.password:  # never write a password into the docs
            url = url._replace(netloc=url.netloc.replace(f":{url.password}@", ":***@"))
        parts += ["--database-url", urlunsplit(url)]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> SweepBench:
    size = SIZES[args.size]
    parse_database_url(args.database_url)  # refuses anything but circulation_bench*
    broker = choose_broker(args.broker, args.redis_url)
    os.environ.update(broker.environ())
    if args.workers:  # read by the settings of this process and of the measured children
        os.environ["REMINDER_SWEEP_WORKERS"] = str(args.workers)
    try:
        configure(args.database_url)
        console.rule(
            f"[bold]bench_sweep[/bold] — 催办扫描 over {size.acks:,} overdue acknowledgements "
            f"({args.size})"
        )
        console.print(f"  broker: {broker.describe()}")
        label = (
            f"build: {size.people:,} people, {size.notices:,} notices, {size.acks:,} "
            "acknowledgements"
        )
        with step(label):
            built = build(size)
        quiet = (
            args.quiet_wait if args.quiet_wait is not None else (180 if size.acks > 10_000 else 0)
        )
        if quiet:
            wait_quiet(quiet)
        with step("CPU calibration (before the timed sweep)"):
            calibration = calibrate()
        console.print(f"  calibration: {calibration.text()}")
        emit("BENCH " + calibration.line())
        with step("timed sweep (fresh process)"):
            timed = run_child("timed", args.database_url)
        with step("CPU calibration (after)"):
            calibration_after = calibrate()
        with step("check what it wrote, verify the audit chain, sweep again"):
            written = check_written(size, timed, broker)
        broker.purge()
        with step("rebuild the same data"):
            build(size)
        with step("traced sweep (CaptureQueriesContext + tracemalloc, fresh process)"):
            traced = run_child("traced", args.database_url)
        broker.purge()
        if traced["result"] != timed["result"]:
            raise BenchError(f"the traced sweep did differently: {traced['result']}")
        result = summarise(args.size, size, built, broker, timed, traced, written)
        result.calibration = asdict(calibration)
        result.calibration_after = asdict(calibration_after)
        if args.profile or (args.size == "full" and not result.met):
            with step("rebuild the same data"):
                build(size)
            with step("profiled sweep (cProfile, fresh process)"):
                profiled = run_child("profile", args.database_url)
            broker.purge()
            result.profile_parts = profiled["profile_parts"]
            result.profile_text = profiled["profile_text"]
            result.profile_wall_s = round(profiled["wall_s"], 2)
        print_result(result)
        machine = machine_info()
        if args.json:
            args.json.write_text(
                json.dumps(
                    result.as_dict() | {"machine": machine, "command": command_line(args)},
                    ensure_ascii=False,
                    indent=2,
                ),
                encoding="utf-8",
            )
        if args.write_docs:
            path = write_docs(result, machine, command_line(args))
            console.print(f"  wrote the reminder sweep section of {path.relative_to(REPO)}")
        return result
    finally:
        broker.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.database_url, args.child_out)
        return 0
    try:
        result = run(args)
    except BenchError as exc:
        console.print(f"[red]bench_sweep failed:[/red] {exc}")
        return 1
    if args.strict and not result.met:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
