"""Shared plumbing for the benchmarks: the bench database, Django set-up, data builders.

The benchmarks run against their own PostgreSQL database (``circulation_bench`` by default),
never the development or test one: :func:`configure` refuses any database whose name does not
start with ``circulation_bench``, because :func:`reset_data` empties the records tables.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from rich.console import Console

if TYPE_CHECKING:
    from circulation.records.models import Notice, Organisation, Person, Unit

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/circulation_bench"
SETTINGS_MODULE = "circulation.settings_test"
DB_NAME_PREFIX = "circulation_bench"
# The Redis of every benchmark (Celery's broker in gunicorn and in the sweep): $BENCH_REDIS_URL,
# else db 14 — never the test suite's db 15, which a benchmark would otherwise empty or fill.
BENCH_REDIS_ENV = "BENCH_REDIS_URL"
DEFAULT_BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"


def bench_redis_url() -> str:
    """The Redis URL the benchmarks use (``$BENCH_REDIS_URL``, else db 14 on loopback)."""
    return os.environ.get(BENCH_REDIS_ENV) or DEFAULT_BENCH_REDIS_URL


console = Console(highlight=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(highlight=False, width=120)  # logs and the smoke test: no 80-column wrap


class BenchError(RuntimeError):
    """A benchmark could not run or its results failed a correctness check."""


# --- database and Django ----------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    url: str
    name: str
    host: str
    port: int
    user: str
    password: str

    def conninfo(self, dbname: str | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": dbname or self.name,
        }
        if self.password:
            info["password"] = self.password
        return info


def parse_database_url(url: str) -> Database:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"the benchmarks need PostgreSQL, got DATABASE_URL={url!r}")
    name = unquote(parts.path.lstrip("/"))
    if not name.startswith(DB_NAME_PREFIX):
        raise BenchError(
            f"refusing to benchmark in database {name!r}: its data is truncated on every run; "
            f"use a database named {DB_NAME_PREFIX}* (e.g. {DEFAULT_DATABASE_URL})"
        )
    return Database(
        url=url,
        name=name,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
    )


def ensure_database(db: Database) -> bool:
    """Create the bench database if it is missing; True when it was created."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**db.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db.name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))
        return True


def configure(database_url: str) -> Database:
    """Point Django at the bench database (env first, then ``django.setup()``) and migrate it."""
    db = parse_database_url(database_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 60)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    created = ensure_database(db)

    import django
    from django.core.management import call_command

    django.setup()
    with step("migrate " + ("(new database)" if created else "(up to date check)")):
        call_command("migrate", interactive=False, verbosity=0)
    return db


def reset_data() -> None:
    """Empty the records tables and tokens (TRUNCATE does not fire the audit row trigger)."""
    from django.apps import apps
    from django.db import connection

    from circulation.records.models import AuditChainHead

    if not connection.settings_dict["NAME"].startswith(DB_NAME_PREFIX):
        raise BenchError("reset_data only runs in a circulation_bench* database")
    tables = {
        model._meta.db_table
        for model in apps.get_app_config("records").get_models(include_auto_created=True)
    }
    tables.add("knox_authtoken")
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(t) for t in sorted(tables))
        # the audit tables refuse TRUNCATE (records 0004) unless triggers are off (superuser)
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        finally:
            cursor.execute("RESET session_replication_role")
    AuditChainHead.objects.get_or_create(pk=1)


def analyze() -> None:
    """Fresh planner statistics after bulk loads, as autovacuum would give a real system."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- data builders -----------------------------------------------------------------------------


@dataclass
class Org:
    organisation: Organisation
    units: list[Unit]
    clerk: Person
    people: int
    serial: int = field(default=0)


UNUSABLE_PASSWORD = "!benchmark-unusable"


def build_org(name: str, prefix: str, units: int, per_unit: int) -> Org:
    """An organisation with ``units`` sections of ``per_unit`` members each, and a clerk.

    The clerk belongs to no unit, so forwarding to every unit reaches exactly
    ``units × per_unit`` people. People get an unusable password (no hashing cost).
    """
    from django.contrib.auth.models import Group

    from circulation.records.models import Membership, Organisation, Person, Unit, UnitKind
    from circulation.records.roles import CLERK, STAFF, ensure_roles

    ensure_roles()
    org = Organisation.objects.create(name=name, short_name=name[:30], fonds_code="Z109")
    clerk = Person.objects.create(
        username=f"{prefix}clerk",
        display_name="收发员",
        organisation=org,
        password=UNUSABLE_PASSWORD,
    )
    clerk.groups.add(Group.objects.get(name=CLERK))
    unit_rows = Unit.objects.bulk_create(
        Unit(
            organisation=org,
            code=f"{prefix.upper()}{index:03d}",
            name=f"第{index}股室",
            kind=UnitKind.SECTION,
            sort_order=index,
        )
        for index in range(1, units + 1)
    )
    staff_group = Group.objects.get(name=STAFF)
    people = Person.objects.bulk_create(
        (
            Person(
                username=f"{prefix}{u:03d}_{n:05d}",
                display_name=f"人员{u}-{n}",
                organisation=org,
                password=UNUSABLE_PASSWORD,
            )
            for u in range(1, units + 1)
            for n in range(1, per_unit + 1)
        ),
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        (
            Membership(person=person, unit=unit_rows[index // per_unit], is_primary=True)
            for index, person in enumerate(people)
        ),
        batch_size=5000,
    )
    through = Person.groups.through
    through.objects.bulk_create(
        (through(person_id=person.pk, group_id=staff_group.pk) for person in people),
        batch_size=5000,
    )
    return Org(organisation=org, units=unit_rows, clerk=clerk, people=len(people))


def register(org: Org, title: str) -> Notice:
    """A freshly 登记 notice (state registered) with the next 发文字号 of the bench issuer."""
    from django.utils import timezone

    from circulation.records.actors import Actor
    from circulation.records.models import Person
    from workflows.services.registration import NoticeInput, register_notice

    org.serial += 1
    year = timezone.localdate().year
    clerk = Person.objects.get(pk=org.clerk.pk)
    registration = register_notice(
        Actor(user=clerk, ip="127.0.0.1"),
        NoticeInput(
            doc_number=f"基准〔{year}〕{org.serial}号",
            title=f"{title}（第{org.serial}号）",
            issuer="性能基准测试局",
            secrecy="public",
            instruction="请认真学习",
        ),
    )
    return registration.notice


# --- machine and output ------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        meminfo = Path("/proc/meminfo").read_text()
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
        if match:
            ram = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    date = subprocess.run(
        ["date", "-u"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or "?"),
        "ram": ram,
        "postgresql": pg,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": date,
    }


@dataclass
class CpuWindow:
    """Machine-wide CPU use between two reads of /proc/stat, split by process group.

    ``shares`` gives each tracked group's CPU time in % of the machine's capacity (all cores over
    the window), plus ``other``: busy time no tracked process accounts for — a second workload on
    the machine shows up there.
    """

    busy_pct: float = 0.0
    steal_pct: float = 0.0
    load_before: str = ""
    shares: dict[str, float] = field(default_factory=dict)


def _cpu_ticks() -> list[int]:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return []
    return [int(value) for value in first[1:]]


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first); [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def process_ticks(pid: int) -> int:
    """utime + stime of one process (all its threads), in clock ticks; 0 when it is gone."""
    fields = _stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


def backend_pids() -> list[int]:
    """PostgreSQL backends connected to the bench database (the app's, the sampler's, ours)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend'"
        )
        return [row[0] for row in cursor.fetchall()]


def reaped_ticks(pid: int) -> int:
    """cutime + cstime of a process: the CPU of its children that have exited (and been reaped)."""
    fields = _stat_fields(pid)
    return int(fields[13]) + int(fields[14]) if fields else 0


def postmaster_pid() -> int | None:
    """The PostgreSQL server process: the parent of this connection's backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    fields = _stat_fields(row[0]) if row else []
    return int(fields[1]) if fields else None


def _children_ticks() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_window(
    groups: Callable[[], dict[str, list[int]]] | None = None,
    children: str | None = None,
    reaped: dict[str, int | None] | None = None,
) -> Iterator[CpuWindow]:
    """Account CPU over the block: ``groups()`` names the pids to track (read before and after);
    ``children`` labels the CPU of child processes this process reaps inside the block;
    ``reaped`` adds to a group the CPU of the children a process reaped inside the block — e.g.
    PostgreSQL backends whose connections closed before the end (any database's)."""
    window = CpuWindow()
    with contextlib.suppress(OSError):
        window.load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    tracked = groups() if groups else {}
    before = {pid: process_ticks(pid) for pids in tracked.values() for pid in pids}
    children_before = _children_ticks()
    reaped_before = {name: reaped_ticks(pid) for name, pid in (reaped or {}).items() if pid}
    ticks_before = _cpu_ticks()
    yield window
    ticks_after = _cpu_ticks()
    children_used = _children_ticks() - children_before
    for name, pids in (groups() if groups else {}).items():
        tracked[name] = sorted(set(tracked.get(name, [])) | set(pids))
    if not (ticks_before and ticks_after):
        return
    delta = [a - b for a, b in zip(ticks_after, ticks_before, strict=False)]
    total = sum(delta[:8]) or 1  # user nice system idle iowait irq softirq steal
    idle = delta[3] + delta[4]
    window.busy_pct = round(100 * (total - idle) / total, 1)
    window.steal_pct = round(100 * delta[7] / total, 1) if len(delta) > 7 else 0.0
    accounted = 0.0
    for name, pids in tracked.items():
        used = sum(max(process_ticks(pid) - before.get(pid, 0), 0) for pid in pids)
        if name in reaped_before:
            used += max(reaped_ticks((reaped or {})[name] or 0) - reaped_before[name], 0)
        window.shares[name] = round(100 * used / total, 1)
        accounted += used
    if children:
        window.shares[children] = round(100 * children_used / total, 1)
        accounted += children_used
    window.shares["other"] = round(max(window.busy_pct - 100 * accounted / total, 0.0), 1)


def wait_quiet(max_wait: float, threshold: float = 20.0, probe: float = 2.0) -> float:
    """Wait (up to ``max_wait`` s) until the machine is nearly idle: another workload on a small
    shared machine distorts every number. Returns the last busy % measured over ``probe`` s."""
    deadline = time.monotonic() + max_wait
    busy = 0.0
    with console.status("waiting for the machine to be quiet", spinner="dots") as status:
        while True:
            with cpu_window() as window:
                time.sleep(probe)
            busy = window.busy_pct
            if busy < threshold or time.monotonic() >= deadline:
                break
            status.update(
                f"waiting for the machine to be quiet: {busy:.0f} % busy "
                f"(threshold {threshold:.0f} %, {deadline - time.monotonic():.0f} s left)"
            )
    if busy >= threshold:
        console.print(
            f"  [yellow]! the machine is {busy:.0f} % busy with other work; numbers will be "
            "disturbed[/yellow]"
        )
    return busy


@contextmanager
def step(label: str) -> Iterator[None]:
    """A spinner while a set-up step runs, then its duration."""
    started = time.perf_counter()
    with console.status(label, spinner="dots"):
        yield
    console.print(f"  [green]✓[/green] {label} [dim]({time.perf_counter() - started:.1f} s)[/dim]")


def _load_prctl() -> Callable[..., int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # resolved in the parent: the forked child imports nothing
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: the child (gunicorn, wrk) gets SIGTERM if the benchmark process dies."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def emit(line: str) -> None:
    """A plain machine-readable line (the smoke test greps these); flushed at once."""
    print(line, flush=True)
    sys.stdout.flush()


# --- CPU calibration (issue 12) ----------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Two fixed workloads timed on this machine (best of ``runs``), to put absolute figures in
    proportion on other hardware: ``python_ms`` a pure-Python loop (integer arithmetic, dict and
    string work, one core), ``postgres_ms`` one PostgreSQL query (an aggregate with a sort over
    generated rows: executor, hashing, sorting; one backend)."""

    python_ms: float
    postgres_ms: float
    runs: int

    def line(self) -> str:
        return f"calibration python_ms={self.python_ms:.1f} postgres_ms={self.postgres_ms:.1f}"

    def text(self) -> str:
        return (
            f"pure-Python workload {self.python_ms:.0f} ms, PostgreSQL workload "
            f"{self.postgres_ms:.0f} ms (best of {self.runs}; `common.calibrate()`)"
        )


CALIBRATION_SQL = (
    "SELECT count(*), sum(h) FROM (SELECT md5(i::text) AS m, i % 1000 AS h "
    "FROM generate_series(1, 100000) AS i ORDER BY m) AS t"
)


def _python_workload() -> int:
    total = 0
    seen: dict[str, int] = {}
    for i in range(100_000):
        key = str(i % 5000)
        seen[key] = seen.get(key, 0) + i
        total = (total * 31 + i) % 1_000_003
    return total + len(seen)


def calibrate(runs: int = 3) -> Calibration:
    """Time the fixed workloads (needs Django set up on a PostgreSQL database)."""
    from django.db import connection

    python_times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        _python_workload()
        python_times.append(time.perf_counter() - started)
    pg_times: list[float] = []
    with connection.cursor() as cursor:
        cursor.execute(CALIBRATION_SQL)  # warm: catalog and plan caches
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(CALIBRATION_SQL)
            cursor.fetchall()
            pg_times.append(time.perf_counter() - started)
    return Calibration(
        python_ms=1000 * min(python_times), postgres_ms=1000 * min(pg_times), runs=runs
    )


def bulk_notice(
    organisation: Any, number: int, received_at: Any, clerk: Any, **fields: Any
) -> Notice:
    """An unsaved 收文 for ``bulk_create``: 发文字号 基准〔year〕number号 parsed as the service
    parses it, from the benchmark bureau, public, received by ``clerk`` and registered ten
    minutes later as 收文登记号 ``number``; ``fields`` give the rest (title, state, year …)."""
    from datetime import timedelta

    from circulation.records.doc_number import parse_doc_number
    from circulation.records.models import Notice

    parsed = parse_doc_number(f"基准〔{received_at.year}〕{number}号")
    return Notice(
        organisation=organisation,
        doc_number=parsed.canonical,
        doc_number_original=parsed.original,
        doc_number_corrections=[],
        issuer_code=parsed.issuer_code,
        year=parsed.year,
        serial=parsed.serial,
        issuer="舞阳县性能基准测试局",
        secrecy="public",
        received_at=received_at,
        received_by=clerk,
        registration_seq=number,
        registered_at=received_at + timedelta(minutes=10),
        **fields,
    )


class TimedRequests:
    """Percentiles of a page benchmark's ``times_ms`` (nearest rank), for its result class."""

    times_ms: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return self.pct(0.95)
