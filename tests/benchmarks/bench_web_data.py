"""The web pages benchmark's data: a bureau of 2,000 people, 5,000 notices and 200,000
acknowledgements, written in bulk (``bulk_create`` for the few thousand rows, ``INSERT … SELECT``
over ``generate_series`` for the acknowledgements and notifications).

Part of ``python -m tests.benchmarks.bench_web`` (see that module).

Shape (full size): 20 股室 of 100 people (the first member heads the unit), a clerk. Notice 1 is
the big one: circulating to 10 units (1,000 recipients), a mix of pending, read, confirmed and
returned, overdue. The other notices go to a window of 39–40 consecutive people each, so every
person holds about 100 acknowledgements; the newest ``open_notices`` circulate (half of them
overdue, recipients 40 % pending, 15 % read, 40 % confirmed, 5 % returned), ``registered``
notices wait to be forwarded (no recipients yet), the rest are completed (all confirmed).
Every person has ``notifications_per_person`` in-app notifications (one in ten unread); some open
notices were reminded by hand (人工催办); every notice has its 签收/登记/传阅 audit events, the
big notice also its recipients' 已阅/确认阅知/退回 (a full timeline), hashed and chained as
``append_event`` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.benchmarks.common import (
    UNUSABLE_PASSWORD,
    BenchError,
    analyze,
    bulk_notice,
    reset_data,
)

SH = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Size:
    units: int
    per_unit: int
    notices: int
    acks: int
    big_units: int  # notice 1 goes to this many units
    open_notices: int
    registered: int
    notifications_per_person: int

    @property
    def people(self) -> int:
        return self.units * self.per_unit


SIZES = {
    "full": Size(
        units=20,
        per_unit=100,
        notices=5000,
        acks=200_000,
        big_units=10,
        open_notices=400,
        registered=20,
        notifications_per_person=20,
    ),
    "small": Size(
        units=4,
        per_unit=25,
        notices=200,
        acks=4000,
        big_units=2,
        open_notices=30,
        registered=5,
        notifications_per_person=5,
    ),
}


@dataclass
class Built:
    clerk_id: int
    staff_id: int  # the inbox's staff member
    staff_acks: int
    recipient_id: int  # a recipient of the big notice
    big_notice_id: int
    big_recipients: int
    unit_code: str  # the board's one-filter example
    people: int
    notices: int
    acks: int
    open_notices: int
    notifications: int
    audit_events: int
    seconds: float


def build(size: Size, now: datetime) -> Built:
    import time

    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from circulation.records.audit import event_hash
    from circulation.records.models import (
        Acknowledgement,
        AuditChainHead,
        AuditEvent,
        CirculationRound,
        Membership,
        Notice,
        Organisation,
        Person,
        RegistrationCounter,
        Unit,
        UnitKind,
        Urgency,
    )
    from circulation.records.roles import CLERK, STAFF, UNIT_HEAD, ensure_roles
    from workflows.machines import NoticeState
    from workflows.models import ManualRemind

    started = time.perf_counter()
    reset_data()  # TRUNCATE … CASCADE: notifications and manual reminds go with the notices
    ensure_roles()
    groups = {g.name: g for g in Group.objects.filter(name__in=[CLERK, STAFF, UNIT_HEAD])}
    with transaction.atomic():
        org = Organisation.objects.create(
            name="舞阳县性能基准测试局", short_name="基准局", fonds_code="Z109"
        )
        clerk = Person.objects.create(
            username="web_clerk",
            display_name="王收发",
            organisation=org,
            password=UNUSABLE_PASSWORD,
        )
        clerk.groups.add(groups[CLERK])
        units = Unit.objects.bulk_create(
            Unit(
                organisation=org,
                code=f"W{index:03d}",
                name=f"第{index}股室",
                kind=UnitKind.SECTION,
                sort_order=index,
            )
            for index in range(1, size.units + 1)
        )
        people = Person.objects.bulk_create(
            (
                Person(
                    username=f"w{u:03d}_{n:03d}",
                    display_name=f"人员{u}-{n}",
                    organisation=org,
                    password=UNUSABLE_PASSWORD,
                )
                for u in range(1, size.units + 1)
                for n in range(1, size.per_unit + 1)
            ),
            batch_size=2000,
        )
        Membership.objects.bulk_create(
            (
                Membership(person=p, unit=units[i // size.per_unit], is_primary=True)
                for i, p in enumerate(people)
            ),
            batch_size=5000,
        )
        for i, unit in enumerate(units):
            unit.head_id = people[i * size.per_unit].pk
        Unit.objects.bulk_update(units, ["head"])
        through = Person.groups.through
        through.objects.bulk_create(
            [through(person_id=p.pk, group_id=groups[STAFF].pk) for p in people]
            + [through(person_id=u.head_id, group_id=groups[UNIT_HEAD].pk) for u in units],
            batch_size=5000,
        )

        # --- notices: 1 is the big one; the newest `open_notices` circulate -------------------
        with_acks = size.notices - size.registered  # notices 1 … with_acks have recipients
        first_open = with_acks - size.open_notices + 1
        big_n = size.big_units * size.per_unit
        per, extra = divmod(size.acks - big_n, with_acks - 1)
        start = now - timedelta(days=2 * size.notices // 10 + 30)
        notices: list[Notice] = []
        for i in range(1, size.notices + 1):
            received_at = start + timedelta(hours=4 * i) if i > 1 else now - timedelta(days=12)
            if i > with_acks:
                state = NoticeState.REGISTERED
            elif i == 1 or i >= first_open:
                state = NoticeState.CIRCULATING
            else:
                state = NoticeState.COMPLETED
            if state == NoticeState.CIRCULATING:  # half of the open notices overdue
                due_at = now - timedelta(days=2) if i % 2 or i == 1 else now + timedelta(days=5)
            elif state == NoticeState.COMPLETED:
                due_at = received_at + timedelta(days=7)
            else:
                due_at = None
            notices.append(
                bulk_notice(
                    org,
                    i,
                    received_at,
                    clerk,
                    title=f"关于做好第{i}项重点工作的通知",
                    urgency=Urgency.URGENT if i % 7 == 0 else Urgency.NORMAL,
                    instruction="请认真学习并确认",
                    due_at=due_at,
                    registration_year=2026,
                    completed_at=(due_at if state == NoticeState.COMPLETED else None),
                    state=state,
                )
            )
        Notice.objects.bulk_create(notices, batch_size=1000)
        RegistrationCounter.objects.create(organisation=org, year=2026, last_value=size.notices)
        rounds = CirculationRound.objects.bulk_create(
            [
                CirculationRound(
                    notice=n,
                    number=1,
                    forwarded_by=clerk,
                    forwarded_at=n.received_at + timedelta(minutes=30),
                    instruction=n.instruction,
                    due_at=n.due_at,
                    recipients_added=big_n if i == 0 else per + (1 if i <= extra else 0),
                )
                for i, n in enumerate(notices[:with_acks])
            ],
            batch_size=1000,
        )

        # --- acknowledgements: INSERT … SELECT over generate_series --------------------------
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bw_people ON COMMIT DROP AS "
                "SELECT (row_number() OVER (ORDER BY p.id) - 1)::int AS idx, "
                "p.id AS person_id, m.unit_id "
                "FROM records_person p JOIN records_membership m ON m.person_id = p.id "
                "WHERE p.organisation_id = %s AND p.id <> %s",
                [org.pk, clerk.pk],
            )
            cursor.execute(
                "CREATE TEMP TABLE bw_plan (notice_id bigint, round_id bigint, first int, "
                "n int, open bool, due_at timestamptz, forwarded_at timestamptz) ON COMMIT DROP"
            )
            plan = []
            offset = big_n  # the small notices start after the big notice's recipients
            for i, (notice, rnd) in enumerate(zip(notices[:with_acks], rounds, strict=True)):
                n = rnd.recipients_added
                first = 0 if i == 0 else offset % size.people
                if i:
                    offset += n
                plan.append(
                    (
                        notice.pk,
                        rnd.pk,
                        first,
                        n,
                        notice.state == NoticeState.CIRCULATING,
                        notice.due_at,
                        rnd.forwarded_at,
                    )
                )
            with cursor.cursor.copy(
                "COPY bw_plan (notice_id, round_id, first, n, open, due_at, forwarded_at) "
                "FROM STDIN"
            ) as copy:
                for row in plan:
                    copy.write_row(row)
            cursor.execute(
                f"""
                INSERT INTO records_acknowledgement
                    (notice_id, person_id, unit_id, round_id, state, due_at, opened_at,
                     confirmed_at, comment, confirm_method, returned_at, return_reason,
                     reminders_sent, escalations, created_at)
                SELECT pl.notice_id, pp.person_id, pp.unit_id, pl.round_id, s.state, pl.due_at,
                    CASE WHEN s.state <> 'pending' THEN pl.forwarded_at + interval '1 hour' END,
                    CASE WHEN s.state = 'confirmed' THEN pl.forwarded_at + interval '2 hours' END,
                    CASE WHEN s.state = 'confirmed' AND k % 3 = 0 THEN '已认真学习，坚决贯彻落实。'
                         ELSE '' END,
                    CASE WHEN s.state = 'confirmed' THEN 'session' ELSE '' END,
                    CASE WHEN s.state = 'returned' THEN pl.forwarded_at + interval '3 hours' END,
                    CASE WHEN s.state = 'returned' THEN '非本股室业务，请转相关股室。' ELSE '' END,
                    CASE WHEN pl.open AND s.state IN ('pending', 'read') THEN k % 3 ELSE 0 END,
                    0, pl.forwarded_at
                FROM bw_plan pl
                CROSS JOIN LATERAL generate_series(0, pl.n - 1) AS k
                JOIN bw_people pp ON pp.idx = (pl.first + k) % {size.people}
                CROSS JOIN LATERAL (SELECT CASE
                    WHEN NOT pl.open THEN 'confirmed'
                    WHEN (pl.notice_id * 7919 + k * 31) % 100 < 40 THEN 'pending'
                    WHEN (pl.notice_id * 7919 + k * 31) % 100 < 55 THEN 'read'
                    WHEN (pl.notice_id * 7919 + k * 31) % 100 < 95 THEN 'confirmed'
                    ELSE 'returned' END AS state) AS s
                """  # noqa: S608 - an integer of our own, no input
            )
            # --- in-app notifications: a reminder digest now and then, one in ten unread ----
            cursor.execute(
                """
                INSERT INTO workflows_notification
                    (person_id, kind, notice_id, title, body, link, created_at, read_at)
                SELECT pp.person_id, 'reminder', NULL, '催办：您有待阅知的收文',
                    '请尽快阅知并确认。', '/inbox/',
                    %s - (g * interval '1 day') - (pp.idx * interval '1 second'),
                    CASE WHEN g %% 10 = 0 THEN NULL
                         ELSE %s - (g * interval '1 day') + interval '1 hour' END
                FROM bw_people pp CROSS JOIN generate_series(0, %s - 1) AS g
                """,
                [now, now, size.notifications_per_person],
            )
        open_ids = [n.pk for n in notices if n.state == NoticeState.CIRCULATING]
        ManualRemind.objects.bulk_create(
            ManualRemind(
                notice_id=pk,
                requested_by=clerk,
                requested_at=now - timedelta(hours=3),
                recipients=9,
            )
            for pk in open_ids[::5]
        )

        # --- the audit chain: 签收, 登记, 传阅 of every notice -----------------------------
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        seq, prev = head.last_seq, head.last_hash
        events: list[AuditEvent] = []
        round_of = {r.notice_id: r for r in rounds}
        for notice in notices:
            steps = [
                (notice.received_at, "notice.received", "", NoticeState.RECEIVED, {}),
                (
                    notice.registered_at,
                    "notice.registered",
                    NoticeState.RECEIVED,
                    NoticeState.REGISTERED,
                    {"registration_no": notice.registration_no, "corrections": []},
                ),
            ]
            rnd = round_of.get(notice.pk)
            if rnd is not None:
                steps.append(
                    (
                        rnd.forwarded_at,
                        "notice.forwarded",
                        NoticeState.REGISTERED,
                        NoticeState.CIRCULATING,
                        {"round": 1, "recipients_added": rnd.recipients_added},
                    )
                )
            for at, action, src, dst, data in steps:
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
        # the big notice's recipients answered as the services record it: 已阅 for everyone
        # who opened it, then 确认阅知 or 退回 (about 1,000 events: its timeline is a page of them)
        fields = ("pk", "state", "opened_at", "confirmed_at", "returned_at", "person_id")
        answered = (
            Acknowledgement.objects.filter(notice_id=notices[0].pk)
            .exclude(state="pending")
            .values(*fields, "person__username", "return_reason", "comment")
        )
        answers = []
        for ack in answered:
            answers.append((ack["opened_at"], "ack.read", "pending", {}, ack))
            if ack["state"] == "confirmed":
                data = {"method": "session", "comment": ack["comment"]}
                answers.append((ack["confirmed_at"], "ack.confirmed", "read", data, ack))
            elif ack["state"] == "returned":
                data = {"reason": ack["return_reason"]}
                answers.append((ack["returned_at"], "ack.returned", "read", data, ack))
        answers.sort(key=lambda answer: (answer[0], answer[4]["pk"]))
        for at, action, src, data, ack in answers:
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=at,
                actor_id=ack["person_id"],
                actor_username=ack["person__username"],
                action=action,
                notice_id=notices[0].pk,
                object_type="records.acknowledgement",
                object_id=str(ack["pk"]),
                from_state=src,
                to_state=action.removeprefix("ack."),
                data=data,
                ip="127.0.0.1",
                prev_hash=prev,
            )
            event.hash = prev = event_hash(event)
            events.append(event)
        AuditEvent.objects.bulk_create(events, batch_size=2000)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])

    acks = Acknowledgement.objects.count()
    if acks != size.acks:
        raise BenchError(f"built {acks} acknowledgements, expected {size.acks}")
    with connection.cursor() as cursor:  # what autovacuum gives a system that has been running
        for table in ("records_acknowledgement", "records_notice", "workflows_notification"):
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
    analyze()

    return describe(size, seconds=time.perf_counter() - started)


def _username(size: Size, index: int) -> str:
    return f"w{index // size.per_unit + 1:03d}_{index % size.per_unit + 1:03d}"


def describe(size: Size, seconds: float = 0.0) -> Built:
    """Who and what the pages are measured with, read back from the built database."""
    from circulation.records.models import Acknowledgement, AuditEvent, Notice, Person
    from workflows.machines import NoticeState
    from workflows.models import Notification

    clerk = Person.objects.get(username="web_clerk")
    # The inbox's staff member: outside the big notice's units, about 100 acknowledgements.
    staff = Person.objects.get(username=_username(size, size.people - size.per_unit // 2))
    # A recipient of the big notice who heads no unit (sees only their own acknowledgement).
    recipient = Person.objects.get(username=_username(size, 1))
    big = Notice.objects.filter(organisation_id=clerk.organisation_id).order_by("pk").first()
    if big is None:
        raise BenchError("no data: run without --reuse first")
    return Built(
        clerk_id=clerk.pk,
        staff_id=staff.pk,
        staff_acks=Acknowledgement.objects.filter(person=staff).count(),
        recipient_id=recipient.pk,
        big_notice_id=big.pk,
        big_recipients=Acknowledgement.objects.filter(notice=big).count(),
        unit_code=f"W{size.units // 2 + 1:03d}",
        people=Person.objects.count(),
        notices=Notice.objects.count(),
        acks=Acknowledgement.objects.count(),
        open_notices=Notice.objects.filter(
            state__in=[NoticeState.REGISTERED, NoticeState.CIRCULATING]
        ).count(),
        notifications=Notification.objects.count(),
        audit_events=AuditEvent.objects.count(),
        seconds=seconds,
    )
