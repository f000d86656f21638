"""The 批办 path through the services: 拟办 → 批示 → 承办 (+ 传阅) → 答复 → 办结, the rules that
hold a notice open, and who may do each step."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.errors import Conflict, Forbidden, InvalidInput, NotVisible
from circulation.records.models import (
    Acknowledgement,
    Assignment,
    AuditEvent,
    Instruction,
    Notice,
)
from circulation.records.roles import CLERK, LEADER
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.handling.builders import action_notice, proposal_body
from tests.helpers import opened_ack
from workflows.models import Notification
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.instructing import InstructionInput, give_instruction
from workflows.services.proposing import ProposalInput, propose_handling
from workflows.services.recalling import recall_recipient
from workflows.services.replying import ReplyInput, record_reply
from workflows.services.undertaking import accept_assignment, record_result
from workflows.services.withdrawal import withdraw_notice

pytestmark = pytest.mark.django_db(transaction=True)


def propose(bureau: Bureau, notice: Notice, **overrides: Any) -> Any:
    return propose_handling(
        Actor(bureau.clerk), notice.pk, ProposalInput(**proposal_body(**overrides))
    )


def instruction_of(notice: Notice, username: str) -> Instruction:
    return Instruction.objects.get(case__notice=notice, leader__username=username)


def instruct(bureau: Bureau, notice: Notice, username: str, kind: str = "agree", **kw: Any) -> Any:
    ins = instruction_of(notice, username)
    return give_instruction(Actor(bureau.person(username)), ins.pk, InstructionInput(kind, **kw))


def lead_of(notice: Notice) -> Assignment:
    return Assignment.objects.get(case__notice=notice, role="lead")


def confirm_all(notice: Notice) -> None:
    for ack in Acknowledgement.objects.filter(notice=notice).select_related("person"):
        opened_ack(notice, ack.person.username)
        confirm_acknowledgement(Actor(ack.person), ack.pk, comment="已阅")


def test_the_whole_path_completes_only_when_the_lead_result_is_in(
    leaders: Bureau, notice: Notice
) -> None:
    case = propose(leaders, notice)
    assert case.state == "proposed"
    assert Notification.objects.filter(person__username__in=["leader_1", "leader_2"]).count() == 2
    assert Notice.objects.get(pk=notice.pk).state == "registered"

    instruct(leaders, notice, "leader_1", "text", text="请工业股抓紧落实。")
    case.refresh_from_db()
    assert case.state == "proposed"  # still waiting for leader_2
    assert not Assignment.objects.filter(case=case).exists()
    instruct(leaders, notice, "leader_2", "circle")

    case.refresh_from_db()
    assert case.state == "undertaking"
    assignments = {a.unit.code: a for a in Assignment.objects.filter(case=case)}
    assert {code: a.role for code, a in assignments.items()} == {"GYG": "lead", "ZXFW": "co"}
    assert assignments["GYG"].due_at > timezone.now()
    notice.refresh_from_db()
    assert notice.state == "circulating"
    readers = Acknowledgement.objects.filter(notice=notice)
    assert sorted(readers.values_list("person__username", flat=True)) == ["bgs_1", "bgs_2"]
    assert readers.first().round.forwarded_by == leaders.clerk  # returns reach the proposer

    confirm_all(notice)  # the readers are done, but the 办理结果 is not in
    assert Notice.objects.get(pk=notice.pk).state == "circulating"

    gyg_1 = Actor(leaders.person("gyg_1"))
    accept_assignment(gyg_1, assignments["GYG"].pk)
    record_result(Actor(leaders.person("zxfw_1")), assignments["ZXFW"].pk, "协办意见已报工业股。")
    assert Notice.objects.get(pk=notice.pk).state == "circulating"  # a co-unit's part is not it
    record_result(gyg_1, assignments["GYG"].pk, "已制定实施方案并报局党组。")

    case.refresh_from_db()
    assert case.state == "done"
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    actions = list(
        AuditEvent.objects.filter(notice=notice).order_by("seq").values_list("action", flat=True)
    )
    assert actions[:3] == ["notice.received", "notice.registered", "handling.proposed"]
    for action in [
        "handling.instructed",
        "handling.undertaking",
        "notice.forwarded",
        "handling.accepted",
        "handling.result_recorded",
        "handling.done",
        "notice.completed",
    ]:
        assert action in actions
    assert actions[-1] == "notice.completed"
    assert verify_chain().ok


def test_a_notice_without_readers_circulates_for_its_units_and_waits_for_the_reply(
    leaders: Bureau, notice: Notice
) -> None:
    case = propose(leaders, notice, readers=[], leaders=["leader_1"], reply_expected=True)
    instruct(leaders, notice, "leader_1", "agree")
    notice.refresh_from_db()
    assert notice.state == "circulating"
    assert not Acknowledgement.objects.filter(notice=notice).exists()

    record_result(Actor(leaders.person("gyg_head")), lead_of(notice).pk, "已办理。")
    case.refresh_from_db()
    assert case.state == "resulted"
    assert Notice.objects.get(pk=notice.pk).state == "circulating"  # no 答复 yet

    reply = ReplyInput("已按要求报送。", timezone.localdate(), "exchange")
    record_reply(Actor(leaders.clerk), notice.pk, reply)
    record_reply(Actor(leaders.clerk), notice.pk, reply)  # a double click records one
    case.refresh_from_db()
    assert case.state == "done"
    assert case.replies.count() == 1
    assert Notice.objects.get(pk=notice.pk).state == "completed"


def test_a_reply_first_then_the_result_completes(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, readers=[], leaders=["leader_1"], reply_expected=True)
    instruct(leaders, notice, "leader_1", "agree")
    record_reply(
        Actor(leaders.clerk), notice.pk, ReplyInput("先电话答复。", timezone.localdate(), "phone")
    )
    assert Notice.objects.get(pk=notice.pk).state == "circulating"
    record_result(Actor(leaders.person("gyg_1")), lead_of(notice).pk, "已办理。")
    assert Notice.objects.get(pk=notice.pk).state == "completed"


def test_a_leader_may_change_the_units_and_readers(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice)
    instruct(
        leaders,
        notice,
        "leader_1",
        "text",
        text="改由县中小企业服务中心牵头。",
        lead_unit="ZXFW",
        co_units=[],
        readers=["gyg_head"],
    )
    instruct(leaders, notice, "leader_2", "agree")
    units = dict(Assignment.objects.filter(case__notice=notice).values_list("unit__code", "role"))
    assert units == {"ZXFW": "lead"}
    assert list(
        Acknowledgement.objects.filter(notice=notice).values_list("person__username", flat=True)
    ) == ["gyg_head"]


def test_only_a_written_instruction_changes_anything(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice)
    with pytest.raises(InvalidInput) as caught:
        instruct(leaders, notice, "leader_1", "agree", lead_unit="ZXFW")
    assert caught.value.field == "lead_unit"
    with pytest.raises(InvalidInput) as caught:
        instruct(leaders, notice, "leader_1", "text", text="  ")
    assert caught.value.field == "text"
    with pytest.raises(InvalidInput) as caught:
        instruct(leaders, notice, "leader_1", "veto")
    assert caught.value.field == "kind"
    assert instruction_of(notice, "leader_1").state == "pending"


def test_the_clerk_is_told_of_each_instruction_unless_it_only_agrees_and_they_asked_not(
    leaders: Bureau, notice: Notice
) -> None:
    propose(leaders, notice, skip_agree_notice=True)
    told = Notification.objects.filter(person=leaders.clerk)
    instruct(leaders, notice, "leader_1", "agree")
    assert told.count() == 0
    instruct(leaders, notice, "leader_2", "text", text="同意，抓紧办。")
    assert told.count() == 1
    assert "钱副局长" in told.get().title


def test_the_same_instruction_twice_is_one_and_a_different_one_is_refused(
    leaders: Bureau, notice: Notice
) -> None:
    propose(leaders, notice)
    instruct(leaders, notice, "leader_1", "agree")
    instruct(leaders, notice, "leader_1", "agree")
    assert AuditEvent.objects.filter(action="handling.instructed").count() == 1
    with pytest.raises(Conflict) as caught:
        instruct(leaders, notice, "leader_1", "circle")
    assert caught.value.code == "already_given"


def test_only_the_named_leaders_instruct(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, leaders=["leader_1"])
    ins = instruction_of(notice, "leader_1")
    with pytest.raises(NotVisible):  # another leader, not named: as if it did not exist
        give_instruction(Actor(leaders.person("leader_2")), ins.pk, InstructionInput("agree"))
    with pytest.raises(Forbidden):  # the clerk sees it but is not the leader
        give_instruction(Actor(leaders.clerk), ins.pk, InstructionInput("agree"))
    assert instruction_of(notice, "leader_1").state == "pending"


def test_who_may_propose_and_whom(leaders: Bureau, notice: Notice) -> None:
    with pytest.raises(Forbidden):
        propose_handling(
            Actor(leaders.person("gyg_1")), notice.pk, ProposalInput(**proposal_body())
        )
    with pytest.raises(InvalidInput) as caught:
        propose(leaders, notice, leaders=["leader_1", "gyg_head"])
    assert caught.value.field == "leaders"
    assert "gyg_head" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        propose(leaders, notice, lead_unit="NOPE")
    assert caught.value.field == "units"
    # the office director may write it like the clerk
    case = propose_handling(
        Actor(leaders.person("director")), notice.pk, ProposalInput(**proposal_body())
    )
    assert case.proposed_by.username == "director"
    with pytest.raises(Conflict) as conflict:
        propose(leaders, notice, text="另一个意见")
    assert conflict.value.code == "already_proposed"


def test_a_read_notice_takes_no_proposal(leaders: Bureau) -> None:
    from tests.helpers import registered_notice

    notice = registered_notice(leaders.clerk, "舞工信〔2022〕40号")
    with pytest.raises(Conflict) as caught:
        propose(leaders, notice)
    assert caught.value.code == "not_action"


def test_only_the_undertaking_units_people_record_the_result(
    leaders: Bureau, notice: Notice
) -> None:
    propose(leaders, notice, leaders=["leader_1"])
    instruct(leaders, notice, "leader_1", "agree")
    lead = lead_of(notice)
    with pytest.raises(NotVisible):  # a member of another unit who is not a reader
        record_result(Actor(leaders.person("bgs_3")), lead.pk, "越权")
    with pytest.raises(Forbidden):  # the clerk sees every notice but is not of 工业股
        record_result(Actor(leaders.clerk), lead.pk, "越权")
    with pytest.raises(Forbidden):
        accept_assignment(Actor(leaders.clerk), lead.pk)
    lead.refresh_from_db()
    assert lead.state == "assigned"


def test_the_result_needs_text_and_is_recorded_once(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, leaders=["leader_1"], readers=["bgs_1"])
    instruct(leaders, notice, "leader_1", "agree")
    lead = lead_of(notice)
    gyg = Actor(leaders.person("gyg_2"))
    with pytest.raises(InvalidInput):
        record_result(gyg, lead.pk, " ")
    record_result(gyg, lead.pk, "已办理。")
    record_result(gyg, lead.pk, "已办理。")
    with pytest.raises(Conflict):
        record_result(gyg, lead.pk, "改一下")
    assert AuditEvent.objects.filter(action="handling.result_recorded").count() == 1


def test_other_organisations_see_nothing(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, leaders=["leader_1"])
    ins = instruction_of(notice, "leader_1")
    other = OrganisationFactory(name="舞阳县农业农村局")
    their_clerk = PersonFactory(username="other_clerk", organisation=other, roles=[CLERK])
    their_leader = PersonFactory(username="other_leader", organisation=other, roles=[LEADER])
    with pytest.raises(NotVisible):
        give_instruction(Actor(their_leader), ins.pk, InstructionInput("agree"))
    with pytest.raises(NotVisible):
        give_instruction(Actor(their_clerk), ins.pk, InstructionInput("agree"))
    today = timezone.localdate()
    with pytest.raises(NotVisible):
        record_reply(Actor(their_clerk), notice.pk, ReplyInput("x", today, "phone"))
    with pytest.raises(NotVisible):
        propose_handling(Actor(their_clerk), notice.pk, ProposalInput(**proposal_body()))


def test_a_withdrawn_notice_refuses_the_result(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, leaders=["leader_1"])
    instruct(leaders, notice, "leader_1", "agree")
    withdraw_notice(Actor(leaders.clerk), notice.pk, "发错")  # no reader: still withdrawn
    assert Notice.objects.get(pk=notice.pk).state == "withdrawn"
    with pytest.raises(Conflict):
        record_result(Actor(leaders.person("gyg_1")), lead_of(notice).pk, "已办理。")


def test_reply_rules(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, leaders=["leader_1"], reply_expected=True)
    today = timezone.localdate()
    with pytest.raises(Conflict):  # the 批示 are not in yet
        record_reply(Actor(leaders.clerk), notice.pk, ReplyInput("早了", today, "phone"))
    instruct(leaders, notice, "leader_1", "agree")
    with pytest.raises(InvalidInput) as caught:
        record_reply(
            Actor(leaders.clerk), notice.pk, ReplyInput("x", today + timedelta(days=1), "phone")
        )
    assert caught.value.field == "replied_on"
    with pytest.raises(InvalidInput) as caught:
        record_reply(Actor(leaders.clerk), notice.pk, ReplyInput("x", today, "pigeon"))
    assert caught.value.field == "channel"
    with pytest.raises(Forbidden):
        record_reply(Actor(leaders.person("gyg_1")), notice.pk, ReplyInput("x", today, "phone"))


def test_recall_one_recipient_with_a_reason(leaders: Bureau, notice: Notice) -> None:
    propose(leaders, notice, leaders=["leader_1"], readers=["bgs_1", "bgs_2"])
    instruct(leaders, notice, "leader_1", "agree")
    ack = recall_recipient(Actor(leaders.clerk), notice.pk, "bgs_2", "误选")
    assert ack.state == "cancelled"
    recall_recipient(Actor(leaders.clerk), notice.pk, "bgs_2", "误选")
    event = AuditEvent.objects.get(action="ack.recalled")
    assert event.data == {"person": "bgs_2", "reason": "误选"}
    with pytest.raises(NotVisible):
        recall_recipient(Actor(leaders.clerk), notice.pk, "nobody", "误选")
    with pytest.raises(InvalidInput):
        recall_recipient(Actor(leaders.clerk), notice.pk, "bgs_1", "")
    with pytest.raises(Forbidden):
        recall_recipient(Actor(leaders.person("gyg_1")), notice.pk, "bgs_1", "x")


def test_supplementary_circulation_after_completion_reopens_and_completes_again(
    leaders: Bureau, notice: Notice
) -> None:
    from workflows.services.forwarding import ForwardRequest, forward_notice

    propose(leaders, notice, leaders=["leader_1"], readers=[])
    instruct(leaders, notice, "leader_1", "agree")
    record_result(Actor(leaders.person("gyg_1")), lead_of(notice).pk, "已办理。")
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    forward_notice(Actor(leaders.clerk), notice.pk, ForwardRequest(usernames=["bgs_3"]))
    assert Notice.objects.get(pk=notice.pk).state == "circulating"
    confirm_all(notice)
    assert Notice.objects.get(pk=notice.pk).state == "completed"


def test_the_sweep_never_completes_a_case_that_is_not_done(leaders: Bureau) -> None:
    from workflows.services.completion import complete_finished_notices

    notice = action_notice(leaders)
    propose(leaders, notice, leaders=["leader_1"], readers=[])
    instruct(leaders, notice, "leader_1", "agree")
    assert complete_finished_notices() == 0
    assert Notice.objects.get(pk=notice.pk).state == "circulating"
