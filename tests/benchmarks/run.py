"""Run the benchmarks (性能基准).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench \\
        .venv/bin/python -m tests.benchmarks.run [--size small|full] [--only forward|confirm] \\
        [--write-docs]

The database must be named ``circulation_bench*``: it is created when missing, migrated, and its
records tables are emptied at the start of every run. ``--write-docs`` writes the results into
docs/benchmarks.md (only the sections of the benchmarks that ran). Every run times the CPU
calibration (``common.calibrate()``: a fixed pure-Python and a fixed PostgreSQL workload) before
and after measuring, prints it and records it beside the results. The Redis of the confirm
benchmark's server is ``$BENCH_REDIS_URL`` (default db 14, never the tests' db 15).

Exit status: 0 when every correctness check passed (missed performance goals are reported, not
failed, unless ``--strict``), 1 when a check failed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.benchmarks.common import DEFAULT_DATABASE_URL, BenchError, configure, console


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--only", choices=["forward", "confirm"])
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL,
        help="a circulation_bench* PostgreSQL database (default: $DATABASE_URL, else "
        f"{DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=7,
        help="forward: interleaved (forward, raw insert) pairs, timed (median, spread, ratios)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print profiles (always done when a full-size goal is missed)",
    )
    # Unset: the production settings' worker model (circulation/gunicorn_conf.py: sync workers,
    # WEB_CONCURRENCY or 2 x cores + 1), what the Dockerfile and docker-compose.yml serve.
    parser.add_argument(
        "--workers", type=int, help="confirm: gunicorn workers (default: production's)"
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="confirm: threads per gthread worker"
    )
    parser.add_argument("--connections", type=int, default=16, help="confirm: wrk connections")
    parser.add_argument(
        "--open-seconds",
        type=float,
        help="confirm: seconds of each open-loop phase (default 30 for full, 2 for small; "
        "0 skips the open loop)",
    )
    parser.add_argument(
        "--open-capacity",
        type=float,
        help="confirm: the capacity (confirms/s) the open-loop rates are fractions of, instead of "
        "the closed-loop rate just measured (to compare servers at the same offered rates)",
    )
    parser.add_argument(
        "--worker-class",
        choices=["gthread", "sync"],
        help="confirm: gunicorn worker class (default: production's, sync; --threads applies "
        "to gthread only)",
    )
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="confirm: run gunicorn with GC_FREEZE_AFTER_REQUESTS=0 (by default each worker "
        "freezes its heap after its first 50 requests, as in production: "
        "circulation/gunicorn_conf.py)",
    )
    parser.add_argument(
        "--open-rates",
        default="0.25,0.5,0.75",
        help="confirm: open-loop rates as fractions of the measured closed-loop confirm rate",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        help="wait up to this many seconds for the machine to be idle before measuring "
        "(default: 600 for --size full, 0 for small)",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        help="redo a measurement disturbed by other processes (>15 %% CPU) up to this many "
        "times in all, keeping the least disturbed (default: 3 for full, 1 for small)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a performance goal is missed"
    )
    return parser.parse_args(argv)


def command_line(args: argparse.Namespace) -> str:
    """The command as one would type it again (without --write-docs / --json)."""
    parts = [".venv/bin/python", "-m", "tests.benchmarks.run", "--size", args.size]
    if args.only:
        parts += ["--only", args.only]
    if args.only != "forward":
        if args.workers is not None:
            parts += ["--workers", str(args.workers)]
        if args.worker_class is not None:
            parts += ["--worker-class", args.worker_class]
        if args.worker_class == "gthread":
            parts += ["--threads", str(args.threads)]
        if args.connections != 16:
            parts += ["--connections", str(args.connections)]
        if args.open_seconds is not None:
            parts += ["--open-seconds", f"{args.open_seconds:g}"]
        if args.open_rates != "0.25,0.5,0.75":
            parts += ["--open-rates", args.open_rates]
        if args.open_capacity:
            parts += ["--open-capacity", f"{args.open_capacity:g}"]
        if not args.gc_freeze:
            parts.append("--no-gc-freeze")
    if args.runs != 7 and args.only != "confirm":
        parts += ["--runs", str(args.runs)]
    url = urlsplit(args.database_url)
    if url.password:  # never write a password into the docs
        url = url._replace(netloc=url.netloc.replace(f":{url.password}@", ":***@"))
    return f"DATABASE_URL={urlunsplit(url)} " + shlex.join(parts)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so that gunicorn is stopped and temporary files removed.
    signal.signal(signal.SIGTERM, _terminate)
    if args.quiet_wait is None:
        args.quiet_wait = 600.0 if args.size == "full" else 0.0
    if args.attempts is None:
        args.attempts = 3 if args.size == "full" else 1
    started = time.perf_counter()
    try:
        db = configure(args.database_url)
        from tests.benchmarks import bench_confirm, bench_forward
        from tests.benchmarks.common import calibrate, emit, machine_info, reset_data, step

        machine = machine_info()
        console.print(
            f"[bold]circulation benchmarks[/bold] — size {args.size}, database {db.name}\n"
            f"  {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM, "
            f"PostgreSQL {machine['postgresql']}, Python {machine['python']}, {machine['date']}"
        )
        with step("reset the bench database (TRUNCATE records tables)"):
            reset_data()
        with step("CPU calibration (before)"):
            calibration = calibrate()
        console.print(f"  calibration before: {calibration.text()}")
        emit("BENCH " + calibration.line())
        results: dict[str, Any] = {
            "machine": machine,
            "command": command_line(args),
            "calibration": asdict(calibration),
        }
        failed: list[str] = []
        missed: list[str] = []
        if args.only in (None, "forward"):
            forward = bench_forward.run(
                args.size,
                runs=args.runs,
                profile=args.profile,
                quiet_wait=args.quiet_wait,
                attempts=args.attempts,
            )
            results["forward"] = forward.as_dict()
            if not forward.met:
                missed.append("forward")
        if args.only in (None, "confirm"):
            confirm = bench_confirm.run(
                db,
                args.size,
                workers=args.workers,
                threads=args.threads,
                connections=args.connections,
                profile=args.profile,
                quiet_wait=args.quiet_wait,
                attempts=args.attempts,
                open_seconds=args.open_seconds,
                open_fractions=tuple(float(f) for f in args.open_rates.split(",") if f.strip()),
                open_capacity=args.open_capacity,
                worker_class=args.worker_class,
                gc_freeze=args.gc_freeze,
            )
            results["confirm"] = confirm.as_dict()
            if confirm.checks:
                failed.append("confirm")
            if not confirm.met:
                missed.append("confirm")
        with step("CPU calibration (after)"):
            after = calibrate()
        console.print(
            f"  calibration after: {after.text()} (before: {calibration.python_ms:.1f} / "
            f"{calibration.postgres_ms:.1f} ms)"
        )
        results["calibration_after"] = asdict(after)
    except BenchError as exc:
        console.print(f"[red]benchmark failed:[/red] {exc}", markup=True, highlight=False)
        return 1

    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    if args.write_docs:
        from tests.benchmarks.docs import write_docs

        path = write_docs(results)
        console.print(f"wrote {path}")
    elapsed = time.perf_counter() - started
    console.print(
        f"done in {elapsed:.0f} s; goals missed: {', '.join(missed) or 'none'}; "
        f"checks failed: {', '.join(failed) or 'none'}"
    )
    if failed:
        return 1
    if missed and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
