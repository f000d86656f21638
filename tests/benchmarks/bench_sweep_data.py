"""The reminder sweep benchmark's data: sizes, the moment swept, the broker that receives the
delivery tasks, and ``build``, which writes an organisation whose acknowledgements are all overdue
at ``AS_OF``.

Part of ``python -m tests.benchmarks.bench_sweep`` (see that module).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.benchmarks.common import (
    SETTINGS_MODULE,
    UNUSABLE_PASSWORD,
    BenchError,
    analyze,
    bench_redis_url,
    reset_data,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/circulation_bench_sweep"
DEFAULT_REDIS_URL = bench_redis_url()  # $BENCH_REDIS_URL, else db 14 (the test suite uses 15)

SH = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2022, 10, 12, 10, 0, tzinfo=SH)
# Forwarded on these working days at 09:00–15:40; + 5 working days is 2022-10-10 17:30 at the
# latest (Oct 1–7 are the National Day holiday, Sat 8 and Sun 9 调休 working days).
FORWARD_DAYS = [date(2022, 9, d) for d in (19, 20, 21, 22, 23, 26, 27, 28)]
DUE_WORKING_DAYS = 5

DELIVERY_TASK = "workflows.tasks.deliver_messages"

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

    def published(self) -> list[tuple[str, list[int]]]:
        """The tasks waiting in this run's queue: (task name, message ids) each."""
        raw: list[bytes] = []
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url, socket_timeout=5)
            try:
                raw = list(client.lrange(self.queue, 0, -1))  # type: ignore[arg-type]
            finally:
                client.close()
        else:
            folder = Path(self.folder) / "broker"
            if folder.exists():
                raw = [path.read_bytes() for path in sorted(folder.glob("*")) if path.is_file()]
        tasks = []
        for item in raw:  # kombu's envelope: headers, properties and the (base64) JSON body
            envelope = json.loads(item)
            body = envelope["body"]
            if envelope.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args = json.loads(body)[0]
            tasks.append((str(envelope["headers"]["task"]), [int(pk) for pk in args[0]]))
        return tasks

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
    """签收, 登记 and 传阅 of every notice, hashed and chained exactly as ``append_event`` does
    (with the moments they happened rather than now)."""
    from circulation.records.audit import event_hash
    from circulation.records.models import AuditChainHead, AuditEvent
    from workflows.machines import NoticeState

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

    from circulation.records.audit import verify_chain
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
