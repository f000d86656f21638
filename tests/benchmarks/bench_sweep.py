"""催办扫描 at scale: one ``run_reminder_sweep`` over 100,000 overdue acknowledgements.

    .venv/bin/python -m tests.benchmarks.bench_sweep [--size small|full] [--write-docs]
        [--broker auto|redis|filesystem] [--profile] [--quiet-wait SECONDS] [--json PATH]

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
messages, counters, audit events, tasks handed to the broker), that the audit chain verifies,
and that a second sweep at the same ``as_of`` writes nothing.

The outbox hand-over is real: after each digest batch commits, one ``deliver_message`` task per
message is published to the broker — Redis (``redis://127.0.0.1:6379/14``, a queue of this run's
own that no worker consumes, deleted afterwards) when it answers, else kombu's filesystem
transport in a temporary folder (the project's broker when there is no ``REDIS_URL``).

Goals (issue 3): under 10 s, bounded queries per batch, under 200 MB. The database,
``circulation_bench_sweep`` unless ``--database-url`` says otherwise (it must be named
``circulation_bench*``), is created when missing, migrated, and emptied before each build.
``--write-docs`` replaces only this benchmark's section of docs/benchmarks.md, keeping any notes
written between its ``bench:sweep:notes`` markers. Exit status: 0 when every correctness check
passed (a missed performance goal is reported, not failed, unless ``--strict``), 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from rich.table import Table

from tests.benchmarks.common import (
    REPO,
    SETTINGS_MODULE,
    UNUSABLE_PASSWORD,
    BenchError,
    analyze,
    backend_pids,
    configure,
    console,
    cpu_window,
    emit,
    machine_info,
    parse_database_url,
    reset_data,
    step,
    wait_quiet,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/circulation_bench_sweep"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"  # the test suite uses /15
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "sweep"

SH = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2022, 10, 12, 10, 0, tzinfo=SH)
# Forwarded on these working days at 09:00–15:40; + 5 working days is 2022-10-10 17:30 at the
# latest (Oct 1–7 are the National Day holiday, Sat 8 and Sun 9 调休 working days).
FORWARD_DAYS = [date(2022, 9, d) for d in (19, 20, 21, 22, 23, 26, 27, 28)]
DUE_WORKING_DAYS = 5

GOAL_SECONDS = 10.0
GOAL_MB = 200.0


@dataclass(frozen=True)
class Size:
    units: int
    per_unit: int
    notices: int
    units_per_notice: int

    @property
    def people(self) -> int:
        return self.units * self.per_unit

    @property
    def acks(self) -> int:
        return self.notices * self.units_per_notice * self.per_unit

    @property
    def per_person(self) -> int:
        return self.acks // self.people


SIZES = {
    "full": Size(units=100, per_unit=100, notices=1000, units_per_notice=1),
    "small": Size(units=10, per_unit=10, notices=10, units_per_notice=10),
}

ACK_COLUMNS = (
    "notice_id",
    "person_id",
    "unit_id",
    "round_id",
    "state",
    "due_at",
    "comment",
    "confirm_method",
    "return_reason",
    "reminders_sent",
    "escalations",
    "created_at",
)


# --- environment -------------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@dataclass
class Broker:
    kind: str  # "redis" | "filesystem"
    url: str = ""
    queue: str = ""
    folder: str = ""

    def describe(self) -> str:
        if self.kind == "redis":
            return f"Redis at {self.url}, a queue of the run's own (not consumed; deleted after)"
        return "kombu filesystem transport in a temporary folder (no REDIS_URL)"

    def environ(self) -> dict[str, str]:
        """What the settings read before ``django.setup()`` (inherited by the child processes)."""
        if self.kind == "redis":
            return {"REDIS_URL": self.url, "CELERY_QUEUE": self.queue}
        return {"REDIS_URL": "", "VAR_DIR": self.folder, "CELERY_QUEUE": self.queue}

    def queued(self) -> int:
        """Tasks waiting in this run's queue."""
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url, socket_timeout=5)
            try:
                return int(client.llen(self.queue))  # type: ignore[arg-type]
            finally:
                client.close()
        folder = Path(self.folder) / "broker"
        return sum(1 for path in folder.glob("*") if path.is_file()) if folder.exists() else 0

    def purge(self) -> None:
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url, socket_timeout=5)
            try:
                for key in client.scan_iter(match=f"*{self.queue}*"):
                    client.delete(key)
            finally:
                client.close()
        elif self.folder:
            for name in ("broker", "broker-processed", "broker-control"):
                shutil.rmtree(Path(self.folder) / name, ignore_errors=True)
                (Path(self.folder) / name).mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self.purge()
        if self.kind == "filesystem" and self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def choose_broker(choice: str, redis_url: str) -> Broker:
    queue = f"bench_sweep_{os.getpid()}"
    if choice == "redis" or (choice == "auto" and redis_answers(redis_url)):
        if not redis_answers(redis_url):
            raise BenchError(f"--broker redis: no Redis answers at {redis_url}")
        return Broker("redis", url=redis_url, queue=queue)
    return Broker("filesystem", queue=queue, folder=tempfile.mkdtemp(prefix="bench_sweep_var_"))


def django_environ(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 60)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")


# --- data --------------------------------------------------------------------------------------


@dataclass
class Built:
    people: int
    notices: int
    acks: int
    audit_events: int
    seconds: float


@dataclass
class _Planned:
    notice: Any
    forwarded_at: datetime
    units: list[Any]


def _copy(table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> None:
    from django.db import connection

    qn = connection.ops.quote_name
    statement = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _check_ack_columns() -> None:
    """The COPY must fill every NOT NULL column of the acknowledgements without a default."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_name = 'records_acknowledgement' AND table_schema = current_schema()
              AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
            """
        )
        missing = {row[0] for row in cursor.fetchall()} - set(ACK_COLUMNS)
    if missing:
        raise BenchError(f"records_acknowledgement columns not filled: {sorted(missing)}")


def _audit_events(clerk: Any, planned: list[_Planned], per_unit: int) -> int:
    """签收, 登记 and 传阅 of every notice, hashed and chained exactly as ``record_event`` does
    (with the moments they happened rather than now)."""
    from circulation.records.models import AuditChainHead, AuditEvent
    from workflows.machines import NoticeState
    from workflows.services.audit import event_hash

    head = AuditChainHead.objects.select_for_update().get(pk=1)
    seq, prev = head.last_seq, head.last_hash
    events: list[AuditEvent] = []
    for plan in planned:
        notice = plan.notice
        for at, action, src, dst, data in (
            (
                notice.received_at,
                "notice.received",
                "",
                NoticeState.RECEIVED,
                {"doc_number": notice.doc_number, "original": notice.doc_number_original},
            ),
            (
                notice.registered_at,
                "notice.registered",
                NoticeState.RECEIVED,
                NoticeState.REGISTERED,
                {"registration_no": notice.registration_no, "corrections": []},
            ),
            (
                plan.forwarded_at,
                "notice.forwarded",
                NoticeState.REGISTERED,
                NoticeState.CIRCULATING,
                {
                    "round": 1,
                    "units": [unit.code for unit in plan.units],
                    "people": [],
                    "recipients_added": len(plan.units) * per_unit,
                    "due_at": notice.due_at.isoformat(),
                    "calendar_note": None,
                },
            ),
        ):
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=at,
                actor=clerk,
                actor_username=clerk.username,
                action=action,
                notice_id=notice.pk,
                object_type="records.notice",
                object_id=str(notice.pk),
                from_state=src,
                to_state=dst,
                data=data,
                ip="127.0.0.1",
                prev_hash=prev,
            )
            event.hash = prev = event_hash(event)
            events.append(event)
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return len(events)


def build(size: Size) -> Built:
    """An organisation whose ``size.acks`` acknowledgements are all overdue at ``AS_OF``."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from circulation.records.doc_number import parse_doc_number
    from circulation.records.models import (
        Acknowledgement,
        CirculationRound,
        Membership,
        Notice,
        Organisation,
        Person,
        RegistrationCounter,
        Unit,
        UnitKind,
    )
    from circulation.records.roles import CLERK, STAFF, UNIT_HEAD, ensure_roles
    from workflows.calendar import add_working_days
    from workflows.machines import AckState, NoticeState
    from workflows.services.audit import verify_chain

    started = time.perf_counter()
    reset_data()  # TRUNCATE … CASCADE empties the reminder, digest and outbox tables too
    with connection.cursor() as cursor:
        cursor.execute('TRUNCATE "workflows_sweeprun" RESTART IDENTITY')
    _check_ack_columns()
    ensure_roles()
    groups = {g.name: g for g in Group.objects.filter(name__in=[CLERK, STAFF, UNIT_HEAD])}
    with transaction.atomic():
        org = Organisation.objects.create(
            name="舞阳县性能基准测试局", short_name="基准局", fonds_code="Z109"
        )
        clerk = Person.objects.create(
            username="sweep_clerk",
            display_name="王收发",
            email="sweep_clerk@bench.example.cn",
            organisation=org,
            password=UNUSABLE_PASSWORD,
        )
        clerk.groups.add(groups[CLERK])
        units = Unit.objects.bulk_create(
            Unit(
                organisation=org,
                code=f"S{index:03d}",
                name=f"第{index}股室",
                kind=UnitKind.SECTION,
                sort_order=index,
            )
            for index in range(1, size.units + 1)
        )
        people = Person.objects.bulk_create(
            (
                Person(
                    username=f"s{u:03d}_{n:03d}",
                    display_name=f"人员{u}-{n}",
                    email=f"s{u:03d}_{n:03d}@bench.example.cn",
                    organisation=org,
                    password=UNUSABLE_PASSWORD,
                )
                for u in range(1, size.units + 1)
                for n in range(1, size.per_unit + 1)
            ),
            batch_size=2000,
        )
        members = {
            unit.pk: [p.pk for p in people[i * size.per_unit : (i + 1) * size.per_unit]]
            for i, unit in enumerate(units)
        }
        Membership.objects.bulk_create(
            (
                Membership(person_id=pid, unit_id=uid, is_primary=True)
                for uid, pids in members.items()
                for pid in pids
            ),
            batch_size=5000,
        )
        for unit in units:  # the first member heads the unit (机构负责人)
            unit.head_id = members[unit.pk][0]
        Unit.objects.bulk_update(units, ["head"])
        through = Person.groups.through
        through.objects.bulk_create(
            [through(person_id=p.pk, group_id=groups[STAFF].pk) for p in people]
            + [through(person_id=u.head_id, group_id=groups[UNIT_HEAD].pk) for u in units],
            batch_size=5000,
        )

        deadlines: dict[date, datetime] = {}
        planned: list[_Planned] = []
        for i in range(1, size.notices + 1):
            day = FORWARD_DAYS[(i - 1) % len(FORWARD_DAYS)]
            forwarded_at = datetime.combine(day, clock_time(9, 0), tzinfo=SH) + timedelta(
                minutes=(i * 7) % 400
            )
            if day not in deadlines:  # forward_notice: add_working_days(now, 5)
                deadlines[day] = add_working_days(forwarded_at, DUE_WORKING_DAYS).due_at
            due_at = deadlines[day]
            if due_at >= AS_OF:
                raise BenchError(f"deadline {due_at} is not before {AS_OF}")
            parsed = parse_doc_number(f"基准〔2022〕{i}号")
            received_at = forwarded_at - timedelta(minutes=30)
            first = ((i - 1) * size.units_per_notice) % size.units
            notice = Notice(
                organisation=org,
                doc_number=parsed.canonical,
                doc_number_original=parsed.original,
                doc_number_corrections=[],
                issuer_code=parsed.issuer_code,
                year=parsed.year,
                serial=parsed.serial,
                title=f"关于做好第{i}项重点工作的通知",
                issuer="舞阳县性能基准测试局",
                secrecy="public",
                instruction="请认真学习并确认",
                due_at=due_at,
                received_at=received_at,
                received_by=clerk,
                registration_year=2022,
                registration_seq=i,
                registered_at=received_at,
                state=NoticeState.CIRCULATING,
            )
            planned.append(
                _Planned(
                    notice,
                    forwarded_at,
                    [units[(first + k) % size.units] for k in range(size.units_per_notice)],
                )
            )
        Notice.objects.bulk_create([plan.notice for plan in planned], batch_size=1000)
        RegistrationCounter.objects.create(organisation=org, year=2022, last_value=size.notices)
        rounds = CirculationRound.objects.bulk_create(
            [
                CirculationRound(
                    notice=plan.notice,
                    number=1,
                    forwarded_by=clerk,
                    forwarded_at=plan.forwarded_at,
                    instruction=plan.notice.instruction,
                    due_at=plan.notice.due_at,
                    calendar_note="",
                    recipients_added=len(plan.units) * size.per_unit,
                )
                for plan in planned
            ],
            batch_size=1000,
        )
        round_units = CirculationRound.units.through
        round_units.objects.bulk_create(
            round_units(circulationround_id=r.pk, unit_id=unit.pk)
            for r, plan in zip(rounds, planned, strict=True)
            for unit in plan.units
        )

        def ack_rows() -> Iterator[tuple[Any, ...]]:
            for r, plan in zip(rounds, planned, strict=True):
                for unit in plan.units:  # the units in order, members by id, as forwarded
                    for pid in members[unit.pk]:
                        yield (
                            plan.notice.pk,
                            pid,
                            unit.pk,
                            r.pk,
                            AckState.PENDING,
                            plan.notice.due_at,
                            "",
                            "",
                            "",
                            0,
                            0,
                            plan.forwarded_at,
                        )

        _copy("records_acknowledgement", ACK_COLUMNS, ack_rows())
        events = _audit_events(clerk, planned, size.per_unit)
    acks = Acknowledgement.objects.count()
    if acks != size.acks:
        raise BenchError(f"built {acks} acknowledgements, expected {size.acks}")
    report = verify_chain()
    if not report.ok:
        raise BenchError(f"the built audit chain does not verify: {report}")
    with connection.cursor() as cursor:  # what autovacuum gives a system that has been running
        for table in ("records_acknowledgement", "records_person", "records_auditevent"):
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
    analyze()
    return Built(
        people=len(people),
        notices=size.notices,
        acks=acks,
        audit_events=events,
        seconds=round(time.perf_counter() - started, 1),
    )


# --- query accounting --------------------------------------------------------------------------

CLAIM_TAIL = 'FOR UPDATE OF "records_acknowledgement" SKIP LOCKED'
DIGEST_HEAD = 'SELECT DISTINCT "workflows_reminder"."recipient_id"'
TRANSACTION_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK")


def segment_kind(sql: str) -> str | None:
    """The statement that opens a claim batch or a digest batch of the sweep, else ``None``."""
    text = sql.rstrip()
    if text.endswith(CLAIM_TAIL):
        return "claim"
    if text.startswith(DIGEST_HEAD):
        return "digest"
    return None


def shorten(sql: str, head: int = 200, tail: int = 80) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= head + tail + 5 else f"{sql[:head]} … {sql[-tail:]}"


_VERB = re.compile(r"\s*(SELECT DISTINCT|SELECT|INSERT INTO|UPDATE|DELETE FROM)\s")
_FIRST_NAME = re.compile(r'"(\w+)"')
_FROM_NAME = re.compile(r'\bFROM "(\w+)"')


def statement_label(sql: str) -> str:
    """``UPDATE workflows_reminder``, ``SELECT records_acknowledgement FOR UPDATE SKIP LOCKED``…"""
    match = _VERB.match(sql)
    if match is None:
        return " ".join(sql.split())[:48]
    verb = match.group(1)
    names = (_FROM_NAME if verb.startswith("SELECT") else _FIRST_NAME).search(sql, match.end())
    if names is None:
        return " ".join(sql.split())[:48]
    label = f"{verb} {names.group(1)}"
    tail = sql.rstrip()[-40:]
    if tail.endswith("SKIP LOCKED"):
        label += " FOR UPDATE SKIP LOCKED"
    elif tail.endswith("FOR UPDATE"):
        label += " FOR UPDATE"
    return label


@dataclass
class Segment:
    """The statements from one batch's opening statement to the next one's."""

    kind: str  # "start" (before the first claim), "claim", "digest"
    index: int
    started: float
    rows: int = -1  # rows returned by the opening statement (acks claimed, people to digest)
    queries: int = 0
    db_seconds: float = 0.0
    seconds: float = 0.0


class QueryBook:
    """A ``connection.execute_wrapper``: counts and times every statement by batch; keeps no SQL.

    With ``shorten_log`` it also cuts the text that a ``CaptureQueriesContext`` keeps of the
    previous statement, so that holding ~1,000 multi-row INSERTs does not weigh on the memory
    measured alongside (the opening statements stay recognisable: head and tail are kept).
    """

    def __init__(self, connection: Any = None, shorten_log: bool = False) -> None:
        self.segments: list[Segment] = [Segment("start", 0, time.perf_counter())]
        self.statements: dict[str, list[float]] = {}  # label → [count, seconds]
        self.connection = connection
        self.shorten_log = shorten_log

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.shorten_log and self.connection.queries_log:
            entry = self.connection.queries_log[-1]
            entry["sql"] = shorten(entry["sql"])
        kind = segment_kind(sql)
        started = time.perf_counter()
        if kind is not None:
            self.segments[-1].seconds = started - self.segments[-1].started
            count = sum(1 for s in self.segments if s.kind == kind)
            self.segments.append(Segment(kind, count + 1, started))
        segment = self.segments[-1]
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            segment.queries += 1
            segment.db_seconds += elapsed
            tally = self.statements.setdefault(statement_label(sql), [0, 0.0])
            tally[0] += 1
            tally[1] += elapsed
            if kind is not None:
                with contextlib.suppress(Exception):
                    segment.rows = int(context["cursor"].rowcount)

    def close(self) -> None:
        self.segments[-1].seconds = time.perf_counter() - self.segments[-1].started
        if self.shorten_log and self.connection.queries_log:
            entry = self.connection.queries_log[-1]
            entry["sql"] = shorten(entry["sql"])


def captured_segments(captured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split ``CaptureQueriesContext.captured_queries`` the same way (BEGIN/COMMIT counted apart:
    Django logs them there, but they do not pass through ``execute``)."""
    segments: list[dict[str, Any]] = [{"kind": "start", "queries": 0, "tx": 0, "sql": []}]
    for query in captured:
        sql = query["sql"] or ""
        kind = segment_kind(sql)
        if kind is not None:
            segments.append({"kind": kind, "queries": 0, "tx": 0, "sql": []})
        segment = segments[-1]
        if sql.strip().upper() in TRANSACTION_STATEMENTS:
            segment["tx"] += 1
        else:
            segment["queries"] += 1
        segment["sql"].append({"seconds": float(query["time"]), "sql": shorten(sql, 110, 60)})
    return segments


# --- the measured call (child processes) -------------------------------------------------------


def _rss_kb() -> dict[str, int]:
    """VmRSS / VmHWM of this process from /proc, in kB."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class EnqueueClock:
    """Times ``outbox.enqueue``: the publishing of delivery tasks after each digest commit."""

    def __init__(self) -> None:
        from workflows.delivery import outbox

        self.seconds = 0.0
        self.calls = 0
        self.queued = 0
        self._outbox = outbox
        self._original = outbox.enqueue
        outbox.enqueue = self._timed  # looked up when the on_commit callback runs

    def _timed(self, message_ids: Any) -> int:
        started = time.perf_counter()
        try:
            queued = self._original(message_ids)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1
        self.queued += queued
        return queued


PROFILE_PARTS: list[tuple[str, str, str]] = [
    # (label, path suffix, function)
    ("claim phase (all claim batches)", "reminders/sweep.py", "_claim_and_decide"),
    ("  decide_batch (reminders to write)", "reminders/batch.py", "decide_batch"),
    ("    decide() per acknowledgement", "reminders/decide.py", "decide"),
    ("  insert_reminders (INSERT … ON CONFLICT)", "reminders/batch.py", "insert_reminders"),
    ("  bump_counters", "reminders/batch.py", "bump_counters"),
    ("  audit_batch (hash-chained events)", "reminders/batch.py", "audit_batch"),
    ("digest phase (all digest batches)", "reminders/digests.py", "digest_pending"),
    ("  _digest_people (claim reminders, write)", "reminders/digests.py", "_digest_people"),
    ("  write_digests", "reminders/digests.py", "write_digests"),
    ("    texts.digest_body", "reminders/texts.py", "digest_body"),
    ("    _items", "reminders/digests.py", "_items"),
    ("  outbox.schedule_delivery", "delivery/outbox.py", "schedule_delivery"),
    ("  on-commit publishing (outbox.enqueue)", "benchmarks/bench_sweep.py", "_timed"),
    ("    Task.apply_async", "celery/app/task.py", "apply_async"),
    ("model instances from rows (Model.from_db)", "django/db/models/base.py", "from_db"),
    ("timestamps parsed (psycopg _load_iso)", "psycopg/types/datetime.py", "_load_iso"),
    ("get_FOO_display (translated labels)", "django/db/models/base.py", "_get_FIELD_display"),
    ("bulk_create", "django/db/models/query.py", "bulk_create"),
    ("psycopg Cursor.execute (send, wait, receive)", "psycopg/cursor.py", "execute"),
    ("  client-side binding (psycopg _split_query)", "psycopg/_queries.py", "_split_query"),
    ("  waiting for the server (psycopg wait)", "psycopg/connection.py", "wait"),
]


def _profile_parts(stats: pstats.Stats) -> list[dict[str, Any]]:
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    parts = []
    for label, suffix, name in PROFILE_PARTS:
        calls, cumulative = 0, 0.0
        for (path, _line, function), (_cc, nc, _tt, ct, _callers) in raw.items():
            if function == name and path.replace("\\", "/").endswith(suffix):
                calls += nc
                cumulative = max(cumulative, ct)  # recursion-safe: the outermost entry
        if calls:
            parts.append({"part": label, "calls": calls, "seconds": round(cumulative, 3)})
    return parts


def child_main(mode: str, database_url: str, out: Path) -> None:
    """One ``run_reminder_sweep(as_of=AS_OF)`` in this fresh process; results as JSON to ``out``."""
    django_environ(database_url)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import workflows.tasks  # noqa: F401 - the delivery task, as in a worker
    from workflows.reminders.sweep import run_reminder_sweep

    connection.ensure_connection()
    clock = EnqueueClock()
    book = QueryBook(connection, shorten_log=mode == "traced")
    data: dict[str, Any] = {"mode": mode, "pid": os.getpid()}

    def groups() -> dict[str, list[int]]:
        return {"sweep": [os.getpid()], "postgres": backend_pids()}

    gc.collect()
    rss_before = _rss_kb()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    captured: list[dict[str, Any]] = []
    profiler = cProfile.Profile() if mode == "profile" else None
    with cpu_window(groups) as cpu:
        cpu_before = _cpu_seconds()
        with contextlib.ExitStack() as stack:
            if mode == "traced":
                capture = stack.enter_context(CaptureQueriesContext(connection))
                tracemalloc.start()
            stack.enter_context(connection.execute_wrapper(book))
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter()
            result = run_reminder_sweep(as_of=AS_OF)
            wall = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
            book.close()
            if mode == "traced":
                data["tracemalloc_current"], data["tracemalloc_peak"] = (
                    tracemalloc.get_traced_memory()
                )
                tracemalloc.stop()
        if mode == "traced":
            captured = list(capture.captured_queries)
        cpu_used = _cpu_seconds() - cpu_before
    data.update(
        wall_s=wall,
        cpu_process_s=cpu_used,
        maxrss_before_kb=maxrss_before,
        maxrss_after_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        rss_before_kb=rss_before.get("VmRSS", 0),
        hwm_after_kb=_rss_kb().get("VmHWM", 0),
        result={
            "claimed": result.claimed,
            "batches": result.batches,
            "reminders": result.reminders,
            "by_kind": dict(result.by_kind),
            "digests": result.digests,
            "messages": result.messages,
            "deferred_people": result.deferred_people,
            "skipped_reason": result.skipped_reason,
        },
        segments=[asdict(s) for s in book.segments],
        statements=[
            {"statement": label, "count": int(n), "seconds": round(seconds, 3)}
            for label, (n, seconds) in sorted(book.statements.items(), key=lambda i: -i[1][1])
        ],
        enqueue={"seconds": clock.seconds, "calls": clock.calls, "queued": clock.queued},
        cpu={
            "busy_pct": cpu.busy_pct,
            "steal_pct": cpu.steal_pct,
            "load_before": cpu.load_before,
            "shares": cpu.shares,
        },
    )
    if mode == "traced":
        data["captured"] = captured_segments(captured)
    if profiler is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        data["profile_text"] = text.getvalue()
        data["profile_parts"] = _profile_parts(stats)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def run_child(mode: str, database_url: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(prefix=f"bench_sweep_{mode}_", suffix=".json") as handle:
        out = Path(handle.name)
        command = [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_sweep",
            "--child",
            mode,
            "--database-url",
            database_url,
            "--child-out",
            str(out),
        ]
        completed = subprocess.run(
            command,
            cwd=REPO,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if completed.returncode != 0:
            raise BenchError(
                f"the {mode} sweep process failed (exit {completed.returncode}):\n"
                + (completed.stdout + completed.stderr)[-4000:]
            )
        return json.loads(out.read_text(encoding="utf-8"))


# --- checks ------------------------------------------------------------------------------------


@dataclass
class Written:
    reminders: int
    overdue_today: int
    undigested: int
    digests: int
    reminders_per_digest: list[int]
    notifications: int
    messages: int
    email_messages: int
    acks_reminded_once: int
    reminded_events: int
    reminded_names: int
    audit_events: int
    chain_ok: bool
    chain_checked: int
    tasks_queued: int
    second: dict[str, int] = field(default_factory=dict)
    second_new_rows: int = 0
    second_tasks: int = 0
    sample_title: str = ""


def _counts() -> dict[str, int]:
    from circulation.records.models import AuditEvent
    from workflows.models import Digest, Message, Notification, Reminder

    return {
        "reminders": Reminder.objects.count(),
        "digests": Digest.objects.count(),
        "notifications": Notification.objects.count(),
        "messages": Message.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def check_written(size: Size, child: dict[str, Any], broker: Broker) -> Written:
    """What the timed sweep wrote, the audit chain, and a second sweep at the same moment."""
    from django.db import connection
    from django.db.models import Count

    from circulation.records.models import Acknowledgement, AuditEvent
    from workflows.models import Channel, Digest, Message, Notification, Reminder, SweepRun
    from workflows.reminders.sweep import run_reminder_sweep
    from workflows.services.audit import verify_chain

    per_digest = Counter(
        Reminder.objects.values("digest_id").annotate(n=Count("id")).values_list("n", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(jsonb_array_length(data->'overdue')), 0) "
            "FROM records_auditevent WHERE action = 'notice.reminded'"
        )
        reminded_events, reminded_names = cursor.fetchone()
    report = verify_chain()
    sample = Digest.objects.order_by("pk").values_list("title", flat=True).first() or ""
    written = Written(
        reminders=Reminder.objects.count(),
        overdue_today=Reminder.objects.filter(kind="overdue", window_key="2022-10-12").count(),
        undigested=Reminder.objects.filter(digest__isnull=True).count(),
        digests=Digest.objects.count(),
        reminders_per_digest=sorted(per_digest),
        notifications=Notification.objects.count(),
        messages=Message.objects.count(),
        email_messages=Message.objects.filter(channel=Channel.EMAIL).count(),
        acks_reminded_once=Acknowledgement.objects.filter(reminders_sent=1).count(),
        reminded_events=int(reminded_events),
        reminded_names=int(reminded_names),
        audit_events=AuditEvent.objects.count(),
        chain_ok=report.ok,
        chain_checked=report.events_checked,
        tasks_queued=broker.queued(),
        sample_title=sample,
    )
    before = _counts()
    again = run_reminder_sweep(as_of=AS_OF)
    after = _counts()
    written.second = {
        "claimed": again.claimed,
        "reminders": again.reminders,
        "digests": again.digests,
        "messages": again.messages,
    }
    written.second_new_rows = sum(after[k] - before[k] for k in before)
    written.second_tasks = broker.queued() - written.tasks_queued
    runs = list(SweepRun.objects.order_by("pk").values_list("reminders", "error"))

    problems = []
    r = child["result"]
    expected = {
        "claimed": size.acks,
        "batches": -(-size.acks // 1000),
        "reminders": size.acks,
        "digests": size.people,
        "messages": size.people,
    }
    for key, value in expected.items():
        if r[key] != value:
            problems.append(f"SweepResult.{key} = {r[key]}, expected {value}")
    if r["by_kind"] != {"overdue": size.acks} or r["skipped_reason"]:
        problems.append(f"by_kind {r['by_kind']}, skipped {r['skipped_reason']!r}")
    if written.reminders != size.acks or written.overdue_today != size.acks:
        problems.append(f"{written.reminders} reminders ({written.overdue_today} overdue today)")
    if written.undigested:
        problems.append(f"{written.undigested} reminders left out of every digest")
    if written.digests != size.people or written.reminders_per_digest != [size.per_person]:
        problems.append(
            f"{written.digests} digests with {written.reminders_per_digest} reminders each"
        )
    if written.notifications != size.people:
        problems.append(f"{written.notifications} notifications, expected {size.people}")
    if written.messages != size.people or written.email_messages != size.people:
        problems.append(f"{written.messages} messages ({written.email_messages} email)")
    if written.acks_reminded_once != size.acks:
        problems.append(f"reminders_sent = 1 on {written.acks_reminded_once} acknowledgements")
    if written.reminded_names != size.acks:
        problems.append(f"notice.reminded events name {written.reminded_names} people")
    if not written.chain_ok:
        problems.append(f"audit chain broken: {report.reason} at #{report.first_bad_event}")
    if written.tasks_queued != size.people or child["enqueue"]["queued"] != size.people:
        problems.append(
            f"{written.tasks_queued} delivery tasks in the broker "
            f"({child['enqueue']['queued']} published), expected {size.people}"
        )
    wrote_again = [k for k in ("reminders", "digests", "messages") if written.second[k]]
    if wrote_again or written.second_new_rows or written.second_tasks:
        problems.append(
            f"the second sweep did something: {written.second}, "
            f"{written.second_new_rows} new rows, {written.second_tasks} new tasks"
        )
    if [reminders for reminders, _ in runs] != [size.acks, 0] or any(e for _, e in runs):
        problems.append(f"sweep runs logged: {runs}")
    if f"{size.per_person} 件" not in written.sample_title:
        problems.append(f"a digest's title does not list {size.per_person}: {sample!r}")
    if problems:
        raise BenchError("the sweep wrote the wrong thing:\n  " + "\n  ".join(problems))
    return written


# --- results -----------------------------------------------------------------------------------


def _batches(segments: list[dict[str, Any]], kind: str, full: int) -> dict[str, Any]:
    """Queries and time of the full batches of one kind (the last, short ones listed apart)."""
    mine = [s for s in segments if s["kind"] == kind]
    full_ones = [s for s in mine if s["rows"] == full]
    others = [s for s in mine if s["rows"] != full]
    seconds = [s["seconds"] for s in full_ones]
    return {
        "batches": len(mine),
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

    @property
    def met(self) -> bool:
        return self.met_seconds and self.met_queries and self.met_memory

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"met": self.met}


def _captured_batches(captured: list[dict[str, Any]], timed: list[dict[str, Any]], kind: str):
    """The captured segments of ``kind`` whose timed twin was a full batch."""
    from workflows.reminders.digests import PERSON_BATCH
    from workflows.reminders.sweep import CLAIM_BATCH

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
    from workflows.reminders.sweep import CLAIM_BATCH

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
        f"< {r.goal_seconds:.0f} s {_ok(r.met_seconds)}",
    )
    table.add_row(
        "  claim + decide + write reminders",
        f"{r.claim['seconds_total']:.2f} s",
        f"{r.claim['batches']} claim looks; per full batch median "
        f"{_ms(r.claim['seconds_median'])}, max {_ms(r.claim['seconds_max'])}",
    )
    table.add_row(
        "  digests + notifications + outbox",
        f"{r.digest['seconds_total']:.2f} s",
        f"{r.digest['batches']} digest looks; per full batch median "
        f"{_ms(r.digest['seconds_median'])}; of which publishing {r.enqueue_calls} "
        f"task batches {r.enqueue_s:.2f} s",
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
        f"{r.written['tasks_queued']:,} delivery tasks queued",
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
    per_claim = "/".join(str(q) for q in sorted(r.claim["queries_per_full"])) or "-"
    emit(
        f"BENCH sweep size={r.size} acks={r.acks} people={r.people} "
        f"reminders={r.written['reminders']} digests={r.written['digests']} "
        f"messages={r.written['messages']} notifications={r.written['notifications']} "
        f"batches={r.result['batches']} queries={r.queries} per_claim_batch={per_claim} "
        f"chain={'ok' if r.written['chain_ok'] else 'broken'} "
        f"second_sweep_new={r.written['second_new_rows']} wall_s={r.wall_s:.3f} "
        f"rss_delta_mb={r.rss_delta_mb:.1f} tracemalloc_peak_mb={r.tracemalloc_peak_mb:.1f} "
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
        f"{_yes(r.met_queries)}, memory {_yes(r.met_memory)}.\n",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM; "
        f"PostgreSQL {machine['postgresql']} on loopback; Python {machine['python']} "
        f"({machine['platform']})",
        f"- Date: {machine['date']}",
        f"- Command: `{command}`",
        f"- Broker: {r.broker}",
        f"- CPU during the timed sweep: the machine was {r.cpu.get('busy_pct', 0):.0f} % busy "
        f"(sweep process {shares.get('sweep', 0):.0f} %, PostgreSQL "
        f"{shares.get('postgres', 0):.0f} %, **other processes {shares.get('other', 0):.0f} %** "
        f"— other engineers' test runs share these {machine['cores']} cores); load average "
        f"before {r.cpu.get('load_before', '?')}; the sweep process used {r.cpu_process_s:.2f} s "
        f"of CPU in {r.wall_s:.2f} s of wall time",
        "",
        "| measure | value |",
        "|---|---|",
        f"| data | {r.acks:,} pending acknowledgements, all overdue at {r.as_of}: "
        f"{r.people:,} people × {r.per_person} notices each, {r.notices:,} circulating notices |",
        f"| wall time of one `run_reminder_sweep(as_of=…)` | **{r.wall_s:.2f} s** "
        f"(goal < {r.goal_seconds:.0f} s) |",
        f"| claim, decide, write reminders + audit | {r.claim['seconds_total']:.2f} s in "
        f"{r.claim['batches']} claim transactions (full batch: median "
        f"{_ms(r.claim['seconds_median'])}, max {_ms(r.claim['seconds_max'])}; "
        f"{r.claim['db_seconds_total']:.2f} s of it in PostgreSQL) |",
        f"| digests, notifications, outbox messages | {r.digest['seconds_total']:.2f} s in "
        f"{r.digest['batches']} digest transactions (full batch: median "
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
        f"messages, {w['tasks_queued']:,} `deliver_message` tasks in the broker, "
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
        "runs it) on freshly built data: the **timed** run counts statements per batch with a "
        "`connection.execute_wrapper` that keeps no SQL text and reads `ru_maxrss` before and "
        "after; the **traced** run repeats the call under `CaptureQueriesContext` (statement "
        "texts cut to head and tail as they are captured) and `tracemalloc`, which would slow "
        "and inflate the timed one. The outbox hand-over is real: after each digest batch "
        "commits, one `deliver_message` task per message is published to the broker (a queue "
        "that no worker consumes, emptied afterwards). After the timed run the script checks "
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
            f"{r.profile_wall_s:.1f} s under the profiler, cumulative seconds):",
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
        with step("timed sweep (fresh process)"):
            timed = run_child("timed", args.database_url)
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
