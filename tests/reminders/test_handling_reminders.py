"""承办 deadlines in the reminder sweep: an assignment due in 2 working days is reminded to its
unit's people on the right days (not on a weekend, not twice in a window, not once its result is
recorded), and escalated to the proposing clerk once when overdue; a batch costs the same
statements for 2 or 8 assignments."""

from collections import Counter
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.models import Assignment, AuditAction, AuditEvent, Notice
from tests.builders import Bureau
from tests.handling.builders import action_notice, proposal_body
from tests.reminders.builders import at, circulate
from workflows.models import (
    AssignmentReminder,
    Message,
    Notification,
    NotificationKind,
    ReminderPolicy,
    WebhookChannel,
)
from workflows.reminders.decide import Clock
from workflows.reminders.policy import policy_for
from workflows.services import sweep_handling
from workflows.services.instructing import InstructionInput, give_instruction
from workflows.services.proposing import ProposalInput, propose_handling
from workflows.services.sweep import preview_reminder_sweep, run_reminder_sweep
from workflows.services.undertaking import record_result

pytestmark = pytest.mark.django_db(transaction=True)


def handled(bureau: Bureau, serial: int, **overrides: Any) -> Notice:
    """A 批办 notice proposed and instructed now: GYG (lead) and ZXFW (co), 2 working days."""
    notice = action_notice(bureau, f"舞工信〔2022〕{serial}号")
    body = proposal_body(leaders=["leader_1"], readers=[], due_working_days=2, **overrides)
    case = propose_handling(Actor(bureau.clerk), notice.pk, ProposalInput(**body))
    instruction = case.instructions.get()
    give_instruction(Actor(bureau.person("leader_1")), instruction.pk, InstructionInput("agree"))
    return notice


def unit_people(bureau: Bureau, code: str) -> set[str]:
    unit = bureau.units[code]
    names = set(unit.memberships.values_list("person__username", flat=True))
    return names | {unit.head.username} if unit.head else names


def rows(notice: Notice, code: str, kind: str) -> list[tuple[str, str]]:
    return sorted(
        AssignmentReminder.objects.filter(
            assignment__case__notice=notice, assignment__unit__code=code, kind=kind
        ).values_list("window_key", "recipient__username")
    )


def test_a_2_day_assignment_is_reminded_on_the_right_days_and_escalated_once(
    leaders: Bureau,
) -> None:
    org_robot = WebhookChannel.objects.create(
        organisation=leaders.org,
        name="局机关群",
        kind="dingtalk",
        url="https://oapi.dingtalk.com/robot/send?access_token=org",
    )
    with time_machine.travel(at(2022, 10, 13, 10), tick=False) as clock:  # Thursday
        notice = handled(leaders, 41)
        lead = Assignment.objects.get(case__notice=notice, role="lead")
        assert lead.due_at.astimezone(at(2022, 1, 1).tzinfo).date().isoformat() == "2022-10-17"
        gyg = unit_people(leaders, "GYG")
        assert len(gyg) == 4  # the head and three staff

        clock.move_to(at(2022, 10, 13, 15))
        assert run_reminder_sweep().assignments.reminders == 0  # 2 working days ahead

        clock.move_to(at(2022, 10, 14, 10))  # Friday: the working day before
        dry = preview_reminder_sweep()
        assert (dry.reminders, dry.digests, dry.assignments.reminders) == (8, 8, 8)
        assert not AssignmentReminder.objects.exists()
        first = run_reminder_sweep()
        assert first.assignments.claimed == 2
        assert first.assignments.reminders == 8
        assert {u for _k, u in rows(notice, "GYG", "due_soon")} == gyg
        assert {k for k, _u in rows(notice, "GYG", "due_soon")} == {"2022-10-17"}
        assert first.digests == 8  # one per person
        told = Notification.objects.get(person__username="gyg_1", kind=NotificationKind.REMINDER)
        assert told.title == (
            "【催办】您有 1 件承办事项待办理 / 1 undertaking awaits your unit's result"
        )
        assert f"/handling/assignments/{lead.pk}/" in told.body
        assert "舞工信〔2022〕41号" in told.body
        assert "2022-10-17 17:30（即将到期 due soon）" in told.body
        assert told.link == f"/handling/assignments/{lead.pk}/"
        assert not AssignmentReminder.objects.filter(digest__isnull=True).exists()
        clock.move_to(at(2022, 10, 14, 15))
        again = run_reminder_sweep()
        assert again.assignments.reminders == 0  # not twice in a window
        assert again.digests == 0

        clock.move_to(at(2022, 10, 15, 10))  # Saturday
        weekend = run_reminder_sweep()
        assert weekend.skipped_reason.startswith("非工作日")
        assert weekend.assignments.claimed == 0

        clock.move_to(at(2022, 10, 17, 10))  # Monday: the due day
        run_reminder_sweep()
        assert {u for _k, u in rows(notice, "ZXFW", "due_today")} == unit_people(leaders, "ZXFW")

        # Overdue every working day from Tuesday; the 4th overdue day escalates to the clerk.
        for day in (18, 19, 20, 21, 24):
            clock.move_to(at(2022, 10, day, 10))
            run_reminder_sweep()
            run_reminder_sweep()  # a second sweep in the same window adds nothing
        overdue_days = {k for k, _u in rows(notice, "GYG", "overdue")}
        assert overdue_days == {
            "2022-10-18",
            "2022-10-19",
            "2022-10-20",
            "2022-10-21",
            "2022-10-24",
        }
        assert len(rows(notice, "GYG", "overdue")) == 5 * len(gyg)
        assert rows(notice, "GYG", "escalation_clerk") == [("2022-10-17", "clerk")]
        assert rows(notice, "ZXFW", "escalation_clerk") == [("2022-10-17", "clerk")]
        assert rows(notice, "GYG", "escalation_head") == []
        clerk_told = (
            Notification.objects.filter(person=leaders.clerk, kind=NotificationKind.REMINDER)
            .order_by("pk")
            .last()
        )
        assert clerk_told is not None
        assert clerk_told.title.startswith("【催办升级】有 2 个承办单位逾期未办理")
        assert "逾期单位 Late unit：工业股" in clerk_told.body
        robot = Message.objects.get(webhook=org_robot)  # the escalation, once
        assert robot.subject.startswith("【催办提醒】2 个承办单位逾期未办理 1 件收文")
        assert "逾期单位 Late unit：县中小企业服务中心" in robot.body
        assert f"/handling/assignments/{lead.pk}/" in robot.body

        # The co-unit records its part: no more reminders for it; the lead unit still gets them.
        co = Assignment.objects.get(case__notice=notice, role="co")
        record_result(Actor(leaders.person("zxfw_1")), co.pk, "已配合完成摸底。")
        clock.move_to(at(2022, 10, 25, 10))
        after = run_reminder_sweep()
    assert after.assignments.claimed == 1
    assert rows(notice, "GYG", "overdue")[-1][0] == "2022-10-25"
    assert "2022-10-25" not in {k for k, _u in rows(notice, "ZXFW", "overdue")}

    events = AuditEvent.objects.filter(notice=notice, action=AuditAction.NOTICE_REMINDED)
    friday = events.filter(data__handling__due_soon__isnull=False).get()
    assert set(friday.data["handling"]["due_soon"]) == gyg | unit_people(leaders, "ZXFW")
    escalated = AuditEvent.objects.filter(notice=notice, action=AuditAction.NOTICE_ESCALATED)
    assert [e.data for e in escalated] == [
        {"handling": {"escalation_clerk": {"clerk": ["县中小企业服务中心", "工业股"]}}}
    ]
    assert verify_chain().ok


def test_a_batch_costs_the_same_statements_for_1_or_6_assignments(
    leaders: Bureau,
) -> None:
    def count(serials: range) -> tuple[int, int]:
        with time_machine.travel(at(2022, 10, 13, 10), tick=False) as clock:
            for serial in serials:
                handled(leaders, serial)
            clock.move_to(at(2022, 10, 18, 10))  # overdue
            policy: ReminderPolicy = policy_for(leaders.org)
            stats = sweep_handling.HandlingStats()
            start = AssignmentReminder.objects.count()
            with CaptureQueriesContext(connection) as queries:
                sweep_handling.claim_and_decide(
                    leaders.org.pk, at(2022, 10, 19, 0), Clock(at(2022, 10, 18, 10), policy), stats
                )
            assert AssignmentReminder.objects.count() - start == stats.reminders > 0
            return len(queries), stats.claimed

    one, claimed_one = count(range(51, 52))
    six, claimed_six = count(range(61, 64))  # 3 more notices: 8 assignments in all
    assert (claimed_one, claimed_six) == (2, 8)  # the first 2 again, reminded already
    assert one == six
    assert one <= 12
    kinds = Counter(AssignmentReminder.objects.values_list("kind", flat=True))
    assert set(kinds) == {"overdue"}


def test_a_person_with_an_acknowledgement_and_an_undertaking_gets_one_digest(
    leaders: Bureau,
) -> None:
    with time_machine.travel(at(2022, 10, 13, 10), tick=False) as clock:
        handled(leaders, 71)
        circulate(leaders.clerk, 72, people=["gyg_1"], days=2)
        clock.move_to(at(2022, 10, 14, 10))
        result = run_reminder_sweep()
    assert result.reminders == 9  # the acknowledgement's and 8 承办 ones
    told = Notification.objects.get(person__username="gyg_1", kind=NotificationKind.REMINDER)
    assert told.title == (
        "【催办】您有 1 件收文待阅知确认；另有 1 件承办事项待办理"
        " / 1 notice awaits your confirmation; 1 undertaking awaits your unit's result"
    )
    assert "舞工信〔2022〕72号" in told.body
    assert "承办 Undertaking：舞工信〔2022〕71号" in told.body
    assert told.link == "/notices/"


def test_the_sweep_costs_the_same_statements_for_1_or_3_notices_undertaken(
    leaders: Bureau,
) -> None:
    def sweep_counting(serials: range, thursday: int) -> tuple[int, Any]:
        with time_machine.travel(at(2022, 10, thursday, 10), tick=False) as clock:
            notices = [handled(leaders, serial) for serial in serials]
            clock.move_to(at(2022, 10, thursday + 1, 10))
            with CaptureQueriesContext(connection) as queries:
                result = run_reminder_sweep()
            for assignment in Assignment.objects.filter(case__notice__in=notices):
                record_result(
                    Actor(leaders.person(f"{assignment.unit.code.lower()}_1")),
                    assignment.pk,
                    "已办理。",
                )
        return len(queries), result

    one, first = sweep_counting(range(81, 82), 13)
    three, second = sweep_counting(range(91, 94), 20)
    assert (first.assignments.reminders, second.assignments.reminders) == (8, 24)
    assert first.digests == second.digests == 8
    assert one == three
