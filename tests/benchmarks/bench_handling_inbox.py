"""A leader's 批办 inbox (issue 16): ``GET /handling/`` for a leader with 500 pending 批示.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_handling \\
        .venv/bin/python -m tests.benchmarks.bench_handling_inbox [--size small|full] [--reuse] \\
        [--write-docs]

Goal (issue 16): "a leader's inbox with 500 pending items renders in under 50 ms server time".
The page is measured as a leader sees it: it lists the oldest ``INBOX_SHOWN`` (50) 待批示 items
and says that there are more ("只显示最早的 50 件"), so the 500 items cost the query that finds
and orders them, not 500 rendered rows.

The data (its own database, ``circulation_bench_handling`` by default, created and migrated
when missing; ``common.configure`` refuses any database not named ``circulation_bench*`` since
the records tables are emptied before a build) is written in bulk: a bureau of 股室 and a
领导班子 of five; ``pending`` 批办 notices waiting for the measured leader's 批示 (every other one
also for a second leader), ``others`` waiting only for other leaders, ``given`` already 批示 by
everyone (the measured leader too: they must not show) and ``read`` 阅知 notices. The rows are
kept between runs: ``--reuse`` measures them when their shape matches, otherwise they are
rebuilt.

Server time is the request in, the response out, in this process: Django's test ``Client``
through the whole middleware stack, signed in with ``force_login`` as the leader — no network,
no browser (as ``bench_web`` and ``bench_archive_page``). ``--warmup`` untimed requests, then
``--requests`` timed ones one after the other; the time inside the database driver's
``execute`` (``connection.execute_wrapper``), this process's CPU time and the statements are
counted per request. Exit 1 when a check fails (a status other than 200, not the 50 oldest
rows and the "more" note, the statement count varying between requests); a missed goal is
reported, and fails only with ``--strict``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.benchmarks.common import TimedRequests
from tests.benchmarks.docs import replace_section

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/circulation_bench_handling"
GOAL_MS = 50.0
DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
SECTION = "handling_inbox"
AFTER = "<!-- bench:archive_page:end -->"
ORG_NAME = "批办收件箱基准局"
LEADER = "hb_leader_1"


@dataclass(frozen=True)
class Size:
    pending: int  # waiting for the measured leader's 批示
    others: int  # waiting for other leaders only
    given: int  # 批示 by everyone, circulating (承办中)
    read: int  # 阅知 notices
    requests: int
    warmup: int

    @property
    def notices(self) -> int:
        return self.pending + self.others + self.given + self.read


SIZES = {
    "small": Size(pending=60, others=20, given=30, read=40, requests=10, warmup=2),
    "full": Size(pending=500, others=300, given=600, read=1000, requests=200, warmup=20),
}


@dataclass
class Result(TimedRequests):
    times_ms: list[float]
    sql_ms: list[float]
    cpu_ms: list[float]
    queries: set[int]
    first_ms: float
    rows: int
    more: bool


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_handling_inbox")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--requests", type=int, help="timed requests")
    parser.add_argument("--warmup", type=int, help="untimed requests first")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the rows already built when they match"
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=0.0, help="wait up to this many seconds for a quiet CPU"
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    return parser.parse_args(argv)


# --- data ---------------------------------------------------------------------------------------


def existing(size: Size) -> Any:
    """The leader of an earlier build of this shape, if the database holds one."""
    from circulation.records.models import Instruction, Notice, Person
    from workflows.machines import InstructionState

    leader = Person.objects.filter(username=LEADER, organisation__name=ORG_NAME).first()
    if leader is None:
        return None
    pending = Instruction.objects.filter(leader=leader, state=InstructionState.PENDING).count()
    notices = Notice.objects.filter(organisation_id=leader.organisation_id).count()
    return leader if (pending, notices) == (size.pending, size.notices) else None


def build(size: Size, now: datetime) -> Any:
    """Write the bureau, its notices, 批办 cases and 批示 in bulk; the measured leader."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    from circulation.records.models import (
        HandlingCase,
        Instruction,
        InstructionKind,
        Membership,
        Notice,
        Organisation,
        Person,
        RegistrationCounter,
        Unit,
        UnitKind,
        Urgency,
    )
    from circulation.records.roles import CLERK, STAFF, ensure_roles
    from circulation.records.roles import LEADER as LEADER_ROLE
    from tests.benchmarks.common import UNUSABLE_PASSWORD, analyze, bulk_notice, reset_data
    from workflows.machines import HandlingState, InstructionState, NoticeState

    reset_data()
    ensure_roles()
    groups = {g.name: g for g in Group.objects.filter(name__in=[CLERK, STAFF, LEADER_ROLE])}
    with transaction.atomic():
        org = Organisation.objects.create(name=ORG_NAME, short_name="批办基准", fonds_code="Z109")
        clerk = Person.objects.create(
            username="hb_clerk", display_name="王收发", organisation=org, password=UNUSABLE_PASSWORD
        )
        clerk.groups.add(groups[CLERK])
        units = Unit.objects.bulk_create(
            Unit(
                organisation=org,
                code=f"H{index:02d}",
                name=f"第{index}股室",
                kind=UnitKind.SECTION,
                sort_order=index,
            )
            for index in range(1, 11)
        )
        leadership = Unit.objects.create(
            organisation=org, code="JLD", name="局领导", kind=UnitKind.LEADERSHIP, sort_order=0
        )
        leaders = Person.objects.bulk_create(
            Person(
                username=f"hb_leader_{n}",
                display_name=f"领导{n}",
                organisation=org,
                password=UNUSABLE_PASSWORD,
            )
            for n in range(1, 6)
        )
        staff = Person.objects.bulk_create(
            Person(
                username=f"hb_{u:02d}_{n}",
                display_name=f"人员{u}-{n}",
                organisation=org,
                password=UNUSABLE_PASSWORD,
            )
            for u in range(1, 11)
            for n in range(1, 11)
        )
        Membership.objects.bulk_create(
            [Membership(person=p, unit=leadership, is_primary=True) for p in leaders]
            + [
                Membership(person=p, unit=units[i // 10], is_primary=True)
                for i, p in enumerate(staff)
            ]
        )
        through = Person.groups.through
        through.objects.bulk_create(
            [through(person_id=p.pk, group_id=groups[LEADER_ROLE].pk) for p in leaders[:2]]
            + [through(person_id=p.pk, group_id=groups[STAFF].pk) for p in staff]
        )

        # notices, oldest first: the kinds interleaved so the leader's are spread over time
        kinds = (
            ["pending"] * size.pending
            + ["others"] * size.others
            + ["given"] * size.given
            + ["read"] * size.read
        )
        kinds = [kinds[(i * 7919) % len(kinds)] for i in range(len(kinds))]  # a fixed shuffle
        start = now - timedelta(hours=2 * len(kinds) + 24)
        notices = []
        for i, kind in enumerate(kinds, start=1):
            received_at = start + timedelta(hours=2 * i)
            state = {
                "pending": NoticeState.REGISTERED,
                "others": NoticeState.REGISTERED,
                "given": NoticeState.CIRCULATING,
                "read": NoticeState.COMPLETED if i % 3 else NoticeState.CIRCULATING,
            }[kind]
            notices.append(
                bulk_notice(
                    org,
                    i,
                    received_at,
                    clerk,
                    title=f"关于请示第{i}项重点工作有关事项的报告",
                    urgency=Urgency.URGENT if i % 7 == 0 else Urgency.NORMAL,
                    handling="read" if kind == "read" else "action",
                    instruction="请阅示",
                    due_at=received_at + timedelta(days=10),
                    registration_year=received_at.year,
                    completed_at=(
                        received_at + timedelta(days=5) if state == NoticeState.COMPLETED else None
                    ),
                    state=state,
                )
            )
        Notice.objects.bulk_create(notices, batch_size=1000)
        for year in {n.registration_year for n in notices}:
            last = max(n.registration_seq for n in notices if n.registration_year == year)
            RegistrationCounter.objects.create(organisation=org, year=year, last_value=last)
        proposal = "拟请第1股室牵头办理，第2股室协办，报局领导阅示。" * 2
        action = [(n, k) for n, k in zip(notices, kinds, strict=True) if k != "read"]
        cases = HandlingCase.objects.bulk_create(
            [
                HandlingCase(
                    notice=n,
                    proposal=proposal,
                    proposed_by=clerk,
                    proposed_at=n.registered_at + timedelta(minutes=20),
                    lead_unit=units[i % len(units)],
                    due_working_days=5,
                    state=HandlingState.UNDERTAKING if k == "given" else HandlingState.PROPOSED,
                    undertaking_at=(n.registered_at + timedelta(hours=5) if k == "given" else None),
                )
                for i, (n, k) in enumerate(action)
            ],
            batch_size=1000,
        )
        instructions = []
        for i, (case, (_n, kind)) in enumerate(zip(cases, action, strict=True)):
            if kind == "pending":
                named = [leaders[0]] + ([leaders[1]] if i % 2 else [])
            elif kind == "others":
                named = [leaders[1 + i % 4], leaders[1 + (i + 1) % 4]]
            else:
                named = [leaders[0], leaders[2]]
            for leader in named:
                given = kind == "given"
                instructions.append(
                    Instruction(
                        case=case,
                        leader=leader,
                        state=InstructionState.GIVEN if given else InstructionState.PENDING,
                        kind=InstructionKind.AGREE if given else "",
                        given_at=case.proposed_at + timedelta(hours=3) if given else None,
                    )
                )
        Instruction.objects.bulk_create(instructions, batch_size=2000)
    analyze()
    return Person.objects.get(username=LEADER)


# --- measuring ----------------------------------------------------------------------------------


def _counter() -> tuple[list[float], Callable[..., Any]]:
    """[statements, seconds inside execute] since the last reset (no SQL kept)."""
    box = [0.0, 0.0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):  # type: ignore[no-untyped-def]
        box[0] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            box[1] += time.perf_counter() - started

    return box, wrapper


def check(response: Any, oldest: list[int]) -> tuple[int, bool]:
    """200, the oldest 50 of the leader's items in order, and the "more" note."""
    if response.status_code != 200:
        raise SystemExit(f"GET /handling/ answered {response.status_code}")
    html = response.content.decode()
    shown = [int(pk) for pk in re.findall(r'href="/handling/instructions/(\d+)/"', html)]
    if shown != oldest:
        raise SystemExit(f"GET /handling/ lists {len(shown)} items, not the {len(oldest)} oldest")
    return len(shown), "只显示最早的" in html


def measure(leader: Any, *, warmup: int, requests: int) -> Result:
    from django.db import connection
    from django.test import Client

    from circulation.web.views.handling import INBOX_SHOWN
    from workflows.services import handling_common

    oldest = list(
        handling_common.pending_instructions(leader).values_list("pk", flat=True)[:INBOX_SHOWN]
    )
    client = Client()
    client.force_login(leader)
    started = time.perf_counter()
    response = client.get("/handling/")
    first_ms = 1000 * (time.perf_counter() - started)
    rows, more = check(response, oldest)
    for _ in range(max(warmup - 1, 0)):
        client.get("/handling/")
    box, wrapper = _counter()
    times: list[float] = []
    sql: list[float] = []
    cpu: list[float] = []
    queries: set[int] = set()
    with connection.execute_wrapper(wrapper):
        for _ in range(requests):
            box[0] = box[1] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get("/handling/")
            times.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - cpu_started))
            queries.add(int(box[0]))
            sql.append(1000 * box[1])
            if response.status_code != 200:
                raise SystemExit(f"GET /handling/ answered {response.status_code}")
    check(response, oldest)
    return Result(times, sql, cpu, queries, first_ms, rows, more)


# --- report -------------------------------------------------------------------------------------


def render_section(r: Result, size: Size, info: dict[str, str], extra: dict[str, str]) -> str:
    met = r.p95 < GOAL_MS
    lines = [
        f"### A leader's 批办 inbox (`/handling/`) with {size.pending} pending 批示\n",
        f"Goal (issue 16): a leader's inbox with 500 pending items renders in under "
        f"{GOAL_MS:.0f} ms server time (p95). Result: "
        f"{'**met** ✅' if met else '**missed** ❌'}.\n",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM; PostgreSQL "
        f"{info['postgresql']}; Python {info['python']}",
        f"- Date: {info['date']}",
        f"- Load: 1-minute load average {extra['load']} (start → end); the machine "
        f"{extra['busy']} % busy while measuring (this process {extra['self']} %, PostgreSQL "
        f"backends {extra['postgres']} %, other work {extra['other']} %)",
        f"- Calibration (`tests/benchmarks/common.py: calibrate()`): {extra['calibration']}",
        f"- Command: `{extra['command']}`",
        f"- Data: {size.notices:,} notices — {size.pending} waiting for the leader's 批示 (every "
        f"other one also for a second leader), {size.others} for other leaders only, "
        f"{size.given:,} 批示 by everyone (the leader too) and 承办中, {size.read:,} 阅知 notices; "
        "a 领导班子 of five, ten 股室 of ten\n",
        "| rows shown | first request | p50 | p95 | max | in SQL, median | "
        "Python CPU, median | queries |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r.rows}{' + “只显示最早的 50 件”' if r.more else ''} | {r.first_ms:.0f} ms | "
        f"{r.p50:.1f} ms | **{r.p95:.1f} ms** | {max(r.times_ms):.1f} ms | "
        f"{statistics.median(r.sql_ms):.1f} ms | {statistics.median(r.cpu_ms):.1f} ms | "
        f"{'/'.join(str(q) for q in sorted(r.queries))} |",
        "",
        "The page shows the oldest 50 待批示 items and says there are more (`INBOX_SHOWN`, "
        "circulation/web/views/handling.py): the goal is the page as a leader sees it, so the "
        f"{size.pending} items cost the statement that finds, orders and cuts them, not "
        f"{size.pending} rendered rows.",
        "",
        f"Method: {extra['warmup']} untimed requests, then {extra['requests']} timed, one after "
        "the other, through Django's test `Client` with the whole middleware stack, signed in "
        '(`force_login`) as the leader. No network, no browser. "In SQL" is the time inside '
        "the database driver's `execute`, \"Python CPU\" this process's CPU time per request; the "
        "rest of a request is waiting for the CPU on a busy machine. The script checks every "
        "answer is 200, lists the 50 oldest items in order and costs the same statements.",
    ]
    return "\n".join(lines)


def write_section(body: str) -> None:
    """Between this benchmark's markers, placed right after the archive page's section."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks (性能基准)\n"
    DOCS.write_text(replace_section(text, SECTION, body, after=AFTER), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    size = SIZES[args.size]
    requests = args.requests or size.requests
    warmup = args.warmup or size.warmup
    from tests.benchmarks.common import configure

    configure(os.environ.get("DATABASE_URL", DEFAULT_URL))

    from django.conf import settings
    from django.utils import timezone

    from tests.benchmarks.common import (
        backend_pids,
        calibrate,
        cpu_window,
        emit,
        machine_info,
        step,
        wait_quiet,
    )

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    leader = existing(size) if args.reuse else None
    if leader is None:
        with step(f"build {size.notices:,} notices ({size.pending} pending for the leader)"):
            leader = build(size, timezone.now())
    emit(f"BENCH handling_inbox data pending={size.pending} notices={size.notices}")
    if args.quiet_wait:
        wait_quiet(args.quiet_wait)
    calibration = calibrate()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    with cpu_window(lambda: {"self": [os.getpid()], "postgres": backend_pids()}) as window:
        result = measure(leader, warmup=warmup, requests=requests)
    load_after = Path("/proc/loadavg").read_text().split()[0]
    emit(calibration.line())
    r = result
    met = r.p95 < GOAL_MS
    emit(
        f"BENCH handling_inbox pending={size.pending} rows={r.rows} more={r.more} "
        f"n={len(r.times_ms)} first_ms={r.first_ms:.1f} p50_ms={r.p50:.1f} p95_ms={r.p95:.1f} "
        f"max_ms={max(r.times_ms):.1f} sql_ms={statistics.median(r.sql_ms):.1f} "
        f"cpu_ms={statistics.median(r.cpu_ms):.1f} "
        f"queries={'/'.join(str(q) for q in sorted(r.queries))}"
    )
    emit(f"BENCH handling_inbox goal p95<{GOAL_MS:.0f}ms {'met' if met else 'missed'}")
    emit(
        f"BENCH handling_inbox load {load_before} -> {load_after} busy={window.busy_pct} "
        f"self={window.shares.get('self', 0)} postgres={window.shares.get('postgres', 0)} "
        f"other={window.shares.get('other', 0)}"
    )
    if args.write_docs:
        extra = {
            "load": f"{load_before} → {load_after}",
            "busy": str(window.busy_pct),
            "self": str(window.shares.get("self", 0)),
            "postgres": str(window.shares.get("postgres", 0)),
            "other": str(window.shares.get("other", 0)),
            "calibration": calibration.text(),
            "requests": str(requests),
            "warmup": str(warmup),
            "command": (
                "DATABASE_URL=… .venv/bin/python -m tests.benchmarks.bench_handling_inbox "
                + " ".join(argv if argv is not None else sys.argv[1:])
            ).strip(),
        }
        write_section(render_section(r, size, machine_info(), extra))
        emit(f"wrote the {SECTION} section of {DOCS}")
    if len(r.queries) != 1:
        emit("the statement count varied between requests")
        return 1
    return 1 if (args.strict and not met) else 0


if __name__ == "__main__":
    sys.exit(main())
