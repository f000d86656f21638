"""The reminder sweep benchmark's measuring: statements counted per claim and digest batch, the
sweep run in a fresh child process (timed, traced or profiled), and the checks of what it wrote.

Part of ``python -m tests.benchmarks.bench_sweep`` (see that module).
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_sweep_data import (
    AS_OF,
    DELIVERY_TASK,
    Broker,
    Size,
    django_environ,
)
from tests.benchmarks.common import (
    REPO,
    BenchError,
    backend_pids,
    cpu_window,
    postmaster_pid,
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
    worker: str = "MainThread"  # the thread (so the connection) that ran it
    rows: int = -1  # rows returned by the opening statement (acks claimed, people to digest)
    queries: int = 0
    db_seconds: float = 0.0
    seconds: float = 0.0


KIND_ORDER = {"start": 0, "claim": 1, "digest": 2}


def segment_order(kind: str, worker: str, seq: int) -> tuple[int, str, int]:
    """Segments in a deterministic order whatever the threads' interleaving: the start, then
    the claim batches worker by worker, then the digest batches worker by worker."""
    return (KIND_ORDER[kind], worker, seq)


class QueryBook:
    """A ``connection.execute_wrapper``: counts and times every statement by batch; keeps no SQL.

    The sweep may run its batches on several connections, one per thread
    (``REMINDER_SWEEP_WORKERS``): :meth:`watch_new_connections` installs the book on each
    connection a thread opens, and each thread's statements go to that thread's current batch.
    With ``shorten_log`` it also cuts the text that a ``CaptureQueriesContext`` (or a worker
    connection's debug log) keeps of the previous statement, so that holding ~1,000 multi-row
    INSERTs does not weigh on the memory measured alongside (the opening statements stay
    recognisable: head and tail are kept).
    """

    def __init__(self, connection: Any = None, shorten_log: bool = False) -> None:
        self.segments: list[Segment] = [Segment("start", 0, time.perf_counter())]
        self.statements: dict[str, list[float]] = {}  # label → [count, seconds]
        self.connection = connection
        self.shorten_log = shorten_log
        self.worker_connections: list[tuple[str, Any]] = []  # (thread name, DatabaseWrapper)
        self._seq: dict[int, int] = {id(self.segments[0]): 0}
        self._ends: dict[int, float] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._main = threading.current_thread()

    def watch_new_connections(self) -> Callable[[], None]:
        """Count the statements of connections opened by other threads too (and, with
        ``shorten_log``, log them); returns the function that stops watching."""
        from django.db.backends.signals import connection_created

        def created(sender: Any, connection: Any, **kwargs: Any) -> None:
            if threading.current_thread() is self._main:
                return
            connection.execute_wrappers.append(self)
            if self.shorten_log:
                connection.force_debug_cursor = True
            with self._lock:
                self.worker_connections.append((threading.current_thread().name, connection))

        connection_created.connect(created, weak=False)
        return lambda: connection_created.disconnect(created)

    def _current(self) -> Segment | None:
        if threading.current_thread() is self._main:
            return getattr(self._local, "segment", None) or self.segments[0]
        return getattr(self._local, "segment", None)

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        from django.db import connection as current

        if self.shorten_log and current.queries_log:
            entry = current.queries_log[-1]
            entry["sql"] = shorten(entry["sql"])
        kind = segment_kind(sql)
        started = time.perf_counter()
        segment = self._current()
        if kind is not None or segment is None:
            if segment is not None:
                segment.seconds = started - segment.started
                self._ends.pop(id(segment), None)
            with self._lock:
                worker = threading.current_thread().name
                opened = kind or "start"
                count = sum(1 for s in self.segments if s.kind == opened)
                segment = Segment(opened, count + 1, started, worker)
                self._seq[id(segment)] = len(self.segments)
                self.segments.append(segment)
            self._local.segment = segment
        try:
            return execute(sql, params, many, context)
        finally:
            ended = time.perf_counter()
            elapsed = ended - started
            self._ends[id(segment)] = ended
            with self._lock:
                segment.queries += 1
                segment.db_seconds += elapsed
                tally = self.statements.setdefault(statement_label(sql), [0, 0.0])
                tally[0] += 1
                tally[1] += elapsed
            if kind is not None:
                with contextlib.suppress(Exception):
                    segment.rows = int(context["cursor"].rowcount)

    def close(self) -> None:
        """End the open batches: the caller's now, a worker thread's at its last statement."""
        now = time.perf_counter()
        current = self._current()
        for segment in self.segments:
            end = self._ends.get(id(segment))
            if segment is current:
                segment.seconds = now - segment.started
            elif end is not None:
                segment.seconds = end - segment.started
        # A worker connection's statements before its first batch (the connection's set-up)
        # count with the start, as in :func:`captured_segments`.
        start = self.segments[0]
        for segment in self.segments[1:]:
            if segment.kind == "start":
                start.queries += segment.queries
                start.db_seconds += segment.db_seconds
        ordered = sorted(
            [start, *(s for s in self.segments[1:] if s.kind != "start")],
            key=lambda s: segment_order(s.kind, s.worker, self._seq[id(s)]),
        )
        if len(ordered) > 1 and any(s.worker != self._main.name for s in ordered):
            # Several connections: "before the first claim" ends where the first claim starts.
            first = min(s.started for s in ordered if s.kind != "start")
            ordered[0].seconds = first - ordered[0].started
        self.segments = ordered
        if self.shorten_log:
            logs = [self.connection] + [c for _, c in self.worker_connections]
            for connection in logs:
                if connection.queries_log:
                    entry = connection.queries_log[-1]
                    entry["sql"] = shorten(entry["sql"])

    def worker_logs(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The statements each worker connection logged (with ``shorten_log``)."""
        return [(name, list(c.queries_log)) for name, c in self.worker_connections]


def captured_segments(
    captured: list[dict[str, Any]],
    workers: list[tuple[str, list[dict[str, Any]]]] | None = None,
) -> list[dict[str, Any]]:
    """Split ``CaptureQueriesContext.captured_queries`` (and the logs of the worker connections,
    by thread name) the same way and in :func:`segment_order` (BEGIN/COMMIT counted apart:
    Django logs them there, but they do not pass through ``execute``). A worker's statements
    before its first batch (its first BEGIN) count with the start."""
    start: dict[str, Any] = {"kind": "start", "queries": 0, "tx": 0, "sql": []}
    keyed: list[tuple[tuple[int, str, int], dict[str, Any]]] = [
        (segment_order("start", "", 0), start)
    ]
    seq = 0
    for worker, queries in [("MainThread", captured), *(workers or [])]:
        segment = start
        for query in queries:
            sql = query["sql"] or ""
            kind = segment_kind(sql)
            if kind is not None:
                seq += 1
                segment = {"kind": kind, "queries": 0, "tx": 0, "sql": []}
                keyed.append((segment_order(kind, worker, seq), segment))
            if sql.strip().upper() in TRANSACTION_STATEMENTS:
                segment["tx"] += 1
            else:
                segment["queries"] += 1
            segment["sql"].append({"seconds": float(query["time"]), "sql": shorten(sql, 110, 60)})
    return [segment for _, segment in sorted(keyed, key=lambda pair: pair[0])]


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
        self._lock = threading.Lock()  # the sweep's worker threads publish too
        self._outbox = outbox
        self._original = outbox.enqueue
        outbox.enqueue = self._timed  # looked up when the on_commit callback runs

    def _timed(self, message_ids: Any) -> int:
        started = time.perf_counter()
        queued = 0
        try:
            queued = self._original(message_ids)
        finally:
            with self._lock:
                self.seconds += time.perf_counter() - started
                self.calls += 1
                self.queued += queued
        return queued


PROFILE_PARTS: list[tuple[str, str, str]] = [
    # (label, path suffix, function)
    ("claim phase (all claim batches)", "services/sweep.py", "_claim_and_decide"),
    ("  decide_batch (reminders to write)", "services/sweep_batch.py", "decide_batch"),
    ("    decide() per acknowledgement", "reminders/decide.py", "decide"),
    ("  insert_reminders (INSERT … ON CONFLICT)", "services/sweep_batch.py", "insert_reminders"),
    ("  bump_counters", "services/sweep_batch.py", "bump_counters"),
    ("  audit_batch (hash-chained events)", "services/sweep_batch.py", "audit_batch"),
    ("digest phase (all digest batches)", "reminders/digests.py", "digest_pending"),
    ("  _digest_people (claim reminders, write)", "reminders/digests.py", "_digest_people"),
    ("  write_digests", "reminders/digests.py", "write_digests"),
    ("    texts.digest_body", "reminders/texts.py", "digest_body"),
    ("    _items", "reminders/digests.py", "_items"),
    ("  outbox.schedule_delivery", "delivery/outbox.py", "schedule_delivery"),
    ("  on-commit publishing (outbox.enqueue)", "benchmarks/bench_sweep_measure.py", "_timed"),
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
    from workflows.reminders.parallel import configured_workers
    from workflows.services.sweep import run_reminder_sweep

    connection.ensure_connection()
    clock = EnqueueClock()
    book = QueryBook(connection, shorten_log=mode == "traced")
    data: dict[str, Any] = {"mode": mode, "pid": os.getpid(), "workers": configured_workers()}

    def groups() -> dict[str, list[int]]:
        return {"sweep": [os.getpid()], "postgres": backend_pids()}

    gc.collect()
    rss_before = _rss_kb()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    captured: list[dict[str, Any]] = []
    profiler = cProfile.Profile() if mode == "profile" else None
    # The sweep's batches run in threads of their own (REMINDER_SWEEP_WORKERS): each new thread
    # starts a profiler of its own on its first event, merged with the caller's below.
    thread_profilers: list[cProfile.Profile] = []

    def profile_thread(*_args: Any) -> None:
        sys.setprofile(None)
        own = cProfile.Profile()
        thread_profilers.append(own)
        own.enable()

    # The worker connections' backends exit before the window closes: count them through the
    # server process that reaps them.
    with cpu_window(groups, reaped={"postgres": postmaster_pid()}) as cpu:
        cpu_before = _cpu_seconds()
        with contextlib.ExitStack() as stack:
            if mode == "traced":
                capture = stack.enter_context(CaptureQueriesContext(connection))
                tracemalloc.start()
            stack.enter_context(connection.execute_wrapper(book))
            stack.callback(book.watch_new_connections())
            if profiler is not None:
                threading.setprofile(profile_thread)
                profiler.enable()
            started = time.perf_counter()
            result = run_reminder_sweep(as_of=AS_OF)
            wall = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
                threading.setprofile(None)  # type: ignore[arg-type]
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
        data["captured"] = captured_segments(captured, book.worker_logs())
    if profiler is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, *thread_profilers, stream=text)
        data["profiled_threads"] = 1 + len(thread_profilers)
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
    task_names: dict[str, int] = field(default_factory=dict)
    ids_in_tasks: int = 0
    largest_chunk: int = 0
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
    from django.db.models import Count, F

    from circulation.records.audit import verify_chain
    from circulation.records.models import Acknowledgement, AuditEvent
    from workflows.delivery.outbox import TASK_CHUNK
    from workflows.models import Channel, Digest, Message, Notification, Reminder, SweepRun
    from workflows.services.sweep import run_reminder_sweep

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
    tasks = broker.published()
    in_tasks = Counter(pk for _, chunk in tasks for pk in chunk)
    message_ids = set(Message.objects.values_list("pk", flat=True))
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
        tasks_queued=len(tasks),
        task_names=dict(Counter(name for name, _ in tasks)),
        ids_in_tasks=sum(in_tasks.values()),
        largest_chunk=max((len(chunk) for _, chunk in tasks), default=0),
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
    # Each worker claims the acknowledgements of its share of the notices in batches.
    workers = int(child.get("workers", 1))
    shares = [
        Acknowledgement.objects.alias(share=F("notice_id") % workers).filter(share=i).count()
        for i in range(workers)
    ]
    expected = {
        "claimed": size.acks,
        "batches": sum(-(-share // 1000) for share in shares),
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
    # Every message rings exactly one doorbell: its id is in one deliver_messages task.
    if (
        set(in_tasks) != message_ids
        or set(in_tasks.values()) != {1}
        or written.task_names != {DELIVERY_TASK: written.tasks_queued}
        or written.largest_chunk > TASK_CHUNK
        or child["enqueue"]["queued"] != size.people
    ):
        problems.append(
            f"{written.tasks_queued} delivery tasks in the broker ({written.task_names}) carrying "
            f"{written.ids_in_tasks} ids ({len(set(in_tasks))} distinct, up to "
            f"{written.largest_chunk} a task) for {len(message_ids)} messages "
            f"({child['enqueue']['queued']} published); expected each message in one task of "
            f"at most {TASK_CHUNK}"
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
