"""批办 pages (issue 16) through the Django client: the clerk's 拟办 and 答复 forms, the leader's
inbox and 批示 page, the 承办 unit's page, the 批办看板 — the API's permissions (a leader not
named: 404, or 403 for the clerk; staff of another unit cannot record the result), bilingual
errors at their fields, no half-written data, and the inbox's statements counted."""

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import (
    Assignment,
    AssignmentRole,
    HandlingCase,
    Instruction,
    InstructionKind,
    Notice,
    Person,
)
from tests.builders import SAMPLE, Bureau
from tests.factories import PersonFactory
from tests.handling.builders import add_leaders
from tests.helpers import small_pdf
from workflows.machines import AssignmentState, HandlingState, InstructionState
from workflows.services.attachments import add_attachment
from workflows.services.instructing import InstructionInput, give_instruction
from workflows.services.proposing import ProposalInput, propose_handling
from workflows.services.registration import NoticeInput, register_notice
from workflows.services.undertaking import record_result

pytestmark = pytest.mark.django_db

PROPOSAL = "拟请工业股牵头办理，县中小企业服务中心协办，报赵局长、钱副局长阅示。"


@pytest.fixture
def office(bureau: Bureau) -> Bureau:
    return add_leaders(bureau)


def action_notice(bureau: Bureau, number: int = 31) -> Notice:
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number", "handling"}}
    return register_notice(
        Actor(bureau.clerk),
        NoticeInput(doc_number=f"舞工信〔2022〕{number}号", handling="action", **fields),
    ).notice


def proposed(bureau: Bureau, number: int = 31, **overrides: Any) -> Notice:
    notice = action_notice(bureau, number)
    data: dict[str, Any] = {
        "text": PROPOSAL,
        "lead_unit": "GYG",
        "co_units": ["ZXFW"],
        "readers": ["bgs_1"],
        "leaders": ["leader_1", "leader_2"],
    }
    data.update(overrides)
    propose_handling(Actor(bureau.clerk), notice.pk, ProposalInput(**data))
    return notice


def instruction_of(notice: Notice, username: str) -> Instruction:
    return Instruction.objects.get(case__notice=notice, leader__username=username)


def both_agree(bureau: Bureau, notice: Notice) -> None:
    for name in ("leader_1", "leader_2"):
        give_instruction(
            Actor(bureau.person(name)),
            instruction_of(notice, name).pk,
            InstructionInput(kind=InstructionKind.AGREE),
        )


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


# --- 拟办 --------------------------------------------------------------------------------------


def test_the_clerk_proposes_from_the_notice_page_and_the_leaders_are_asked(
    office: Bureau,
) -> None:
    notice = action_notice(office)
    clerk = signed_in(office.clerk)
    page = html(clerk.get(f"/notices/{notice.pk}/"))
    assert "待拟办（收发员）" in page
    assert f'href="/notices/{notice.pk}/handling/propose/"' in page
    form = clerk.get(f"/notices/{notice.pk}/handling/propose/")
    assert form.status_code == 200
    assert "赵局长" in html(form)  # the leaders to choose from
    assert "钱副局长" in html(form)
    assert "孙主任" not in html(form)  # not a leader

    answer = clerk.post(
        f"/notices/{notice.pk}/handling/propose/",
        {
            "text": PROPOSAL,
            "lead_unit": "GYG",
            "co_units": ["ZXFW", "GYG"],  # the lead unit ticked as 协办 too: dropped
            "readers": ["bgs_1", "bgs_2"],
            "leaders": ["leader_1", "leader_2"],
            "due_working_days": "7",
            "reply_expected": "1",
        },
    )
    assert answer.status_code == 303
    assert answer["Location"] == f"/notices/{notice.pk}/"
    case = HandlingCase.objects.get(notice=notice)
    assert case.proposal == PROPOSAL
    assert case.lead_unit.code == "GYG"
    assert {u.code for u in case.co_units.all()} == {"ZXFW"}
    assert {p.username for p in case.readers.all()} == {"bgs_1", "bgs_2"}
    assert case.due_working_days == 7
    assert case.reply_expected
    assert set(case.instructions.values_list("leader__username", flat=True)) == {
        "leader_1",
        "leader_2",
    }
    page = html(clerk.get(f"/notices/{notice.pk}/"))
    assert "待 赵局长、钱副局长 批示" in page
    assert "拟办意见已送领导批示。" in page


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"text": ""}, "请填写拟办意见"),
        ({"leaders": ["leader_1", "gyg_1"]}, "以下人员不是本机关的领导：gyg_1"),
        ({"leaders": []}, "请至少选择一位领导"),
        ({"lead_unit": "NOPE"}, "NOPE"),
        ({"due_working_days": "0"}, "承办时限须在 1 到"),
        ({"due_working_days": "abc"}, "承办时限须在 1 到"),
    ],
)
def test_bad_proposals_are_400_at_their_field_and_write_nothing(
    office: Bureau, changes: dict[str, Any], field_message: str
) -> None:
    notice = action_notice(office)
    body = {
        "text": PROPOSAL,
        "lead_unit": "GYG",
        "leaders": ["leader_1"],
        "readers": ["bgs_1"],
        "due_working_days": "5",
    } | changes
    answer = signed_in(office.clerk).post(f"/notices/{notice.pk}/handling/propose/", body)
    assert answer.status_code == 400
    page = html(answer)
    assert field_message in page
    assert 'class="field-error"' in page
    assert "bgs_1" in page  # the chosen reader is kept
    assert not HandlingCase.objects.filter(notice=notice).exists()
    assert not Instruction.objects.exists()


def test_the_proposal_form_in_english(office: Bureau) -> None:
    notice = action_notice(office)
    clerk = signed_in(office.clerk)
    clerk.cookies["django_language"] = "en"
    answer = clerk.post(
        f"/notices/{notice.pk}/handling/propose/",
        {"text": PROPOSAL, "lead_unit": "GYG", "leaders": ["gyg_1"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert "Not leaders of this organisation: gyg_1" in html(answer)


def test_only_those_who_may_propose_see_the_form(office: Bureau) -> None:
    notice = action_notice(office)
    assert (
        signed_in(office.person("gyg_1")).get(f"/notices/{notice.pk}/handling/propose/").status_code
        == 403
    )
    assert (
        signed_in(office.person("leader_1"))
        .post(
            f"/notices/{notice.pk}/handling/propose/",
            {"text": PROPOSAL, "lead_unit": "GYG", "leaders": ["leader_1"]},
        )
        .status_code
        == 403
    )
    assert not HandlingCase.objects.exists()
    # the office director may
    director = signed_in(office.person("director"))
    assert director.get(f"/notices/{notice.pk}/handling/propose/").status_code == 200


def test_a_read_notice_has_no_handling_section_and_no_proposal(office: Bureau) -> None:
    fields = {k: v for k, v in SAMPLE.items() if k != "issued_on"}
    notice = register_notice(Actor(office.clerk), NoticeInput(**fields)).notice
    clerk = signed_in(office.clerk)
    assert "handling-heading" not in html(clerk.get(f"/notices/{notice.pk}/"))
    answer = clerk.post(
        f"/notices/{notice.pk}/handling/propose/",
        {"text": PROPOSAL, "lead_unit": "GYG", "leaders": ["leader_1"]},
    )
    assert answer.status_code == 409
    assert "只有办理类型为“批办”的收文需要拟办" in html(answer)


# --- the leader's inbox and 批示 ------------------------------------------------------------------


def test_the_leader_agrees_in_one_tap_from_the_inbox(office: Bureau) -> None:
    notice = proposed(office)
    leader = signed_in(office.person("leader_1"))
    inbox = html(leader.get("/handling/"))
    mine = instruction_of(notice, "leader_1")
    assert f'href="/handling/instructions/{mine.pk}/"' in inbox
    assert notice.title in inbox
    assert "王收发" in inbox  # who proposed
    page = leader.get(f"/handling/instructions/{mine.pk}/")
    assert page.status_code == 200
    assert PROPOSAL in html(page)
    assert "同意拟办意见" in html(page)

    answer = leader.post(f"/handling/instructions/{mine.pk}/", {"kind": "agree"})
    assert answer.status_code == 303
    assert answer["Location"] == "/handling/"
    mine.refresh_from_db()
    assert mine.state == InstructionState.GIVEN
    assert mine.kind == InstructionKind.AGREE
    after = html(leader.get("/handling/"))
    assert "已同意拟办意见" in after
    assert f"/handling/instructions/{mine.pk}/" not in after
    page = html(leader.get(f"/handling/instructions/{mine.pk}/"))
    assert "您已批示" in page
    assert "同意拟办意见" in page


def test_a_written_instruction_changes_the_lead_unit_and_the_last_one_assigns(
    office: Bureau,
) -> None:
    notice = proposed(office)
    first = signed_in(office.person("leader_1"))
    answer = first.post(
        f"/handling/instructions/{instruction_of(notice, 'leader_1').pk}/",
        {
            "kind": "text",
            "text": "请县中小企业服务中心主办，工业股协办。",
            "changes_shown": "1",
            "lead_unit": "ZXFW",
            "co_units": ["GYG"],
            "readers": ["bgs_1"],  # unchanged: not sent as a change
        },
    )
    assert answer.status_code == 303
    given = instruction_of(notice, "leader_1")
    assert given.lead_unit is not None
    assert given.lead_unit.code == "ZXFW"
    assert given.co_units_changed
    assert not given.readers_changed
    second = signed_in(office.person("leader_2"))
    page = html(second.get(f"/handling/instructions/{instruction_of(notice, 'leader_2').pk}/"))
    assert "请县中小企业服务中心主办，工业股协办。" in page  # the other leader's 批示
    assert (
        second.post(
            f"/handling/instructions/{instruction_of(notice, 'leader_2').pk}/", {"kind": "circle"}
        ).status_code
        == 303
    )
    lead = Assignment.objects.get(case__notice=notice, role=AssignmentRole.LEAD)
    assert lead.unit.code == "ZXFW"
    assert Assignment.objects.get(case__notice=notice, role=AssignmentRole.CO).unit.code == "GYG"


def test_agreeing_keeps_units_the_picker_does_not_list(office: Bureau) -> None:
    notice = proposed(office, co_units=["JLD"])  # the 领导班子 as 协办, through the API
    mine = instruction_of(notice, "leader_1")
    leader = signed_in(office.person("leader_1"))
    assert 'value="JLD" id="co-JLD" checked' in html(
        leader.get(f"/handling/instructions/{mine.pk}/")
    )
    body = {"kind": "agree", "changes_shown": "1", "lead_unit": "GYG", "co_units": ["JLD"]}
    body["readers"] = ["bgs_1"]
    assert leader.post(f"/handling/instructions/{mine.pk}/", body).status_code == 303
    mine.refresh_from_db()
    assert mine.state == InstructionState.GIVEN
    assert not mine.co_units_changed


def test_agreeing_while_changing_the_unit_is_a_400_and_nothing_is_given(office: Bureau) -> None:
    notice = proposed(office)
    mine = instruction_of(notice, "leader_1")
    answer = signed_in(office.person("leader_1")).post(
        f"/handling/instructions/{mine.pk}/",
        {"kind": "agree", "changes_shown": "1", "lead_unit": "ZXFW", "co_units": ["ZXFW"]},
    )
    assert answer.status_code == 400
    page = html(answer)
    assert "只有填写批示时可以改定承办单位或传阅人员" in page
    assert '<details class="changes" open>' in page  # the disclosure stays open at the error
    mine.refresh_from_db()
    assert mine.state == InstructionState.PENDING


def test_a_written_instruction_without_text_is_a_400_at_the_text(office: Bureau) -> None:
    notice = proposed(office)
    mine = instruction_of(notice, "leader_1")
    answer = signed_in(office.person("leader_1")).post(
        f"/handling/instructions/{mine.pk}/", {"kind": "text", "text": "  "}
    )
    assert answer.status_code == 400
    assert 'id="text-error"' in html(answer)
    assert "请填写批示内容" in html(answer)
    mine.refresh_from_db()
    assert mine.state == InstructionState.PENDING


def test_a_leader_not_named_gets_404_and_the_clerk_403_as_in_the_api(
    office: Bureau, api: Any
) -> None:
    notice = proposed(office, leaders=["leader_1"])
    mine = instruction_of(notice, "leader_1")
    other = signed_in(office.person("leader_2"))
    assert other.get(f"/handling/instructions/{mine.pk}/").status_code == 404
    assert other.post(f"/handling/instructions/{mine.pk}/", {"kind": "agree"}).status_code == 404
    assert str(mine.pk) not in html(other.get("/handling/"))
    clerk = signed_in(office.clerk)
    assert clerk.get(f"/handling/instructions/{mine.pk}/").status_code == 403
    assert clerk.post(f"/handling/instructions/{mine.pk}/", {"kind": "agree"}).status_code == 403
    staff = signed_in(office.person("gyg_1"))
    assert staff.get(f"/handling/instructions/{mine.pk}/").status_code == 404
    assert staff.get("/handling/instructions/999999/").status_code == 404
    mine.refresh_from_db()
    assert mine.state == InstructionState.PENDING
    # and the API says the same
    body = {"kind": "agree"}
    url = f"/api/v1/handling/instructions/{mine.pk}/"
    assert api(office.person("leader_2")).post(url, body, format="json").status_code == 404
    assert api(office.clerk).post(url, body, format="json").status_code == 403


def _many_pending(bureau: Bureau, n: int) -> None:
    for number in range(100, 100 + n):
        proposed(bureau, number, leaders=["leader_1"], co_units=[], readers=[])


@pytest.mark.parametrize("n", [2, 25])
def test_the_leaders_inbox_costs_the_same_statements_for_2_or_25_items(
    office: Bureau, n: int
) -> None:
    _many_pending(office, n)
    # and a few 承办 of the leader's unit (the 领导班子 as a co-unit)
    for number in (200, 201):
        notice = proposed(office, number, leaders=["leader_1"], co_units=["JLD"], readers=[])
        give_instruction(
            Actor(office.person("leader_1")),
            instruction_of(notice, "leader_1").pk,
            InstructionInput(kind=InstructionKind.AGREE),
        )
    leader = signed_in(office.person("leader_1"))
    leader.get("/handling/")  # the session, warm
    with CaptureQueriesContext(connection) as captured:
        page = html(leader.get("/handling/"))
    assert page.count('class="inbox-item handling-item') == n + 2
    # session + person, the two lists, the unread badge, the nav's role flags read with the person
    assert len(captured.captured_queries) <= 6, [q["sql"][:120] for q in captured]


# --- 承办 -------------------------------------------------------------------------------------


def test_the_lead_unit_accepts_and_records_the_result(office: Bureau) -> None:
    notice = proposed(office)
    both_agree(office, notice)
    lead = Assignment.objects.get(case__notice=notice, role=AssignmentRole.LEAD)
    staff = signed_in(office.person("gyg_1"))
    inbox = html(staff.get("/handling/"))
    assert f'href="/handling/assignments/{lead.pk}/"' in inbox
    page = html(staff.get(f"/handling/assignments/{lead.pk}/"))
    assert "工业股（主办）" in page
    assert "办理时限" in page
    assert "县中小企业服务中心" in page  # the co-unit's part is listed
    assert staff.post(f"/handling/assignments/{lead.pk}/", {"action": "accept"}).status_code == 303
    lead.refresh_from_db()
    assert lead.state == AssignmentState.ACCEPTED
    empty = staff.post(f"/handling/assignments/{lead.pk}/", {"action": "result", "text": ""})
    assert empty.status_code == 400
    assert "请填写办理结果" in html(empty)
    done = staff.post(
        f"/handling/assignments/{lead.pk}/",
        {"action": "result", "text": "已组织企业申报，共 12 家。"},
        follow=True,
    )
    assert done.status_code == 200
    assert "办理结果已登记。" in html(done)
    assert "已组织企业申报，共 12 家。" in html(done)
    lead.refresh_from_db()
    assert lead.state == AssignmentState.RESULTED
    assert HandlingCase.objects.get(notice=notice).state == HandlingState.DONE


def test_the_unit_uploads_result_files_through_the_api_and_the_page_lists_them(
    office: Bureau, media: Any
) -> None:
    notice = proposed(office)
    both_agree(office, notice)
    lead = Assignment.objects.get(case__notice=notice, role=AssignmentRole.LEAD)
    staff = signed_in(office.person("gyg_1"))
    page = html(staff.get(f"/handling/assignments/{lead.pk}/"))
    assert f'data-upload-url="/api/v1/handling/assignments/{lead.pk}/files/"' in page
    data = small_pdf("办理情况报告")
    upload = SimpleUploadedFile("办理情况报告.pdf", data, content_type="application/pdf")
    answer = staff.post(f"/api/v1/handling/assignments/{lead.pk}/files/", {"file": upload})
    assert answer.status_code == 201, answer.content
    file_id = answer.json()["id"]
    page = html(staff.get(f"/handling/assignments/{lead.pk}/"))
    assert f'href="/api/v1/handling/files/{file_id}/"' in page
    assert "办理情况报告.pdf" in page
    staff.post(f"/handling/assignments/{lead.pk}/", {"action": "result", "text": "已报送。"})
    # the co-unit sees the lead's part with its file
    co = Assignment.objects.get(case__notice=notice, role=AssignmentRole.CO)
    page = html(signed_in(office.person("zxfw_1")).get(f"/handling/assignments/{co.pk}/"))
    assert "已报送。" in page
    assert f'href="/api/v1/handling/files/{file_id}/"' in page


def test_staff_of_another_unit_cannot_record_the_result(office: Bureau) -> None:
    notice = proposed(office, co_units=[])
    both_agree(office, notice)
    lead = Assignment.objects.get(case__notice=notice, role=AssignmentRole.LEAD)
    other = signed_in(office.person("zxfw_1"))
    assert other.get(f"/handling/assignments/{lead.pk}/").status_code == 404
    answer = other.post(f"/handling/assignments/{lead.pk}/", {"action": "result", "text": "x"})
    assert answer.status_code == 404
    assert (
        signed_in(office.clerk)
        .post(f"/handling/assignments/{lead.pk}/", {"action": "result", "text": "x"})
        .status_code
        == 403
    )
    assert (
        signed_in(office.person("leader_1")).get(f"/handling/assignments/{lead.pk}/").status_code
        == 404
    )
    lead.refresh_from_db()
    assert lead.state == AssignmentState.ASSIGNED
    assert lead.result == ""


def test_the_co_unit_adds_its_part_and_the_lead_sees_it(office: Bureau) -> None:
    notice = proposed(office)
    both_agree(office, notice)
    co = Assignment.objects.get(case__notice=notice, role=AssignmentRole.CO)
    lead = Assignment.objects.get(case__notice=notice, role=AssignmentRole.LEAD)
    answer = signed_in(office.person("zxfw_head")).post(
        f"/handling/assignments/{co.pk}/", {"action": "result", "text": "已提供企业名单。"}
    )
    assert answer.status_code == 303
    page = html(signed_in(office.person("gyg_head")).get(f"/handling/assignments/{lead.pk}/"))
    assert "已提供企业名单。" in page
    assert HandlingCase.objects.get(notice=notice).state == HandlingState.UNDERTAKING


# --- 答复 and the board ------------------------------------------------------------------------


def test_the_board_says_on_whom_each_notice_waits_and_the_reply_finishes_it(
    office: Bureau,
) -> None:
    waiting_proposal = action_notice(office, 40)
    waiting_leaders = proposed(office, 41, leaders=["leader_2"])
    waiting_unit = proposed(office, 42)
    both_agree(office, waiting_unit)
    waiting_reply = proposed(office, 43, reply_expected=True, co_units=[])
    both_agree(office, waiting_reply)
    lead = Assignment.objects.get(case__notice=waiting_reply, role=AssignmentRole.LEAD)
    record_result(Actor(office.person("gyg_1")), lead.pk, "已办理。")

    clerk = signed_in(office.clerk)
    assert 'href="/board/handling/"' in html(clerk.get("/board/"))
    with CaptureQueriesContext(connection) as captured:
        board = html(clerk.get("/board/handling/"))
    rows = {
        waiting_proposal.pk: "待拟办（收发员）",
        waiting_leaders.pk: "待 钱副局长 批示",
        waiting_unit.pk: "待 工业股、县中小企业服务中心 承办",
        waiting_reply.pk: "待登记答复（收发员）",
    }
    for pk, text in rows.items():
        start = board.index(f'href="/notices/{pk}/"')
        assert text in board[start : start + 600], text
    assert len(captured.captured_queries) <= 8
    assert signed_in(office.person("gyg_1")).get("/board/handling/").status_code == 404

    form = clerk.get(f"/notices/{waiting_reply.pk}/handling/reply/")
    assert form.status_code == 200
    future = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    bad = clerk.post(
        f"/notices/{waiting_reply.pk}/handling/reply/",
        {"text": "已函复。", "replied_on": future, "channel": "exchange"},
    )
    assert bad.status_code == 400
    assert "答复日期须在一年内且不晚于今天" in html(bad)
    assert not HandlingCase.objects.get(notice=waiting_reply).replies.exists()
    ok = clerk.post(
        f"/notices/{waiting_reply.pk}/handling/reply/",
        {
            "text": "已函复。",
            "replied_on": timezone.localdate().isoformat(),
            "channel": "exchange",
        },
    )
    assert ok.status_code == 303
    assert HandlingCase.objects.get(notice=waiting_reply).state == HandlingState.DONE
    board = html(clerk.get("/board/handling/"))
    start = board.index(f'href="/notices/{waiting_reply.pk}/"')
    assert "已办毕，待传阅人员确认" in board[start : start + 600]  # bgs_1 still reads it


def test_a_reply_before_the_instructions_is_refused(office: Bureau) -> None:
    notice = proposed(office, reply_expected=True)
    clerk = signed_in(office.clerk)
    page = clerk.get(f"/notices/{notice.pk}/handling/reply/")
    assert "领导批示尚未完成，不能登记答复。" in html(page)
    answer = clerk.post(
        f"/notices/{notice.pk}/handling/reply/",
        {"text": "x", "replied_on": timezone.localdate().isoformat(), "channel": "phone"},
    )
    assert answer.status_code == 409
    assert (
        signed_in(office.person("gyg_1")).get(f"/notices/{notice.pk}/handling/reply/").status_code
        == 403
    )


def test_the_people_search_is_for_clerks_and_leaders(office: Bureau) -> None:
    found = html(signed_in(office.person("leader_1")).get("/handling/people/?q=bgs"))
    assert 'name="readers" value="bgs_1"' in found
    assert signed_in(office.person("gyg_1")).get("/handling/people/?q=bgs").status_code == 404


def test_notification_links_land_a_leader_and_a_unit_on_their_handling_page(
    office: Bureau,
) -> None:
    notice = proposed(office)
    mine = instruction_of(notice, "leader_1")
    leader = signed_in(office.person("leader_1"))
    answer = leader.get(f"/notices/{notice.pk}/")  # where the 请批示 notification links
    assert answer.status_code == 302
    assert answer["Location"] == f"/handling/instructions/{mine.pk}/"
    assert 'href="/handling/"' in html(leader.get("/handling/"))  # the nav's 批办
    both_agree(office, notice)
    co = Assignment.objects.get(case__notice=notice, role=AssignmentRole.CO)
    answer = signed_in(office.person("zxfw_2")).get(f"/notices/{notice.pk}/")
    assert answer.status_code == 302
    assert answer["Location"] == f"/handling/assignments/{co.pk}/"
    # anyone else: still 404
    stranger = PersonFactory(username="stranger", organisation=office.org)
    assert signed_in(stranger).get(f"/notices/{notice.pk}/").status_code == 404


@pytest.mark.parametrize("readers", [1, 3])
def test_the_instruction_page_costs_the_same_for_more_readers_and_units(
    office: Bureau, readers: int
) -> None:
    names = ["bgs_1", "bgs_2", "bgs_3"][:readers]
    co_units = ["ZXFW", "BGS"][: readers - 1] if readers > 1 else []
    notice = proposed(office, readers=names, co_units=co_units, leaders=["leader_1", "leader_2"])
    give_instruction(
        Actor(office.person("leader_2")),
        instruction_of(notice, "leader_2").pk,
        InstructionInput(kind=InstructionKind.TEXT, text="同意，请抓紧办理。"),
    )
    leader = signed_in(office.person("leader_1"))
    url = f"/handling/instructions/{instruction_of(notice, 'leader_1').pk}/"
    leader.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = html(leader.get(url))
    assert "同意，请抓紧办理。" in page
    assert all(name in page for name in names)
    # session, person, the instruction (with case, notice, proposer, unit, leader), the 批示
    # of the others, the decided units and readers (three), the units, the attachments, the
    # delegation check, the unread badge
    assert len(captured.captured_queries) <= 12, [q["sql"][:100] for q in captured]


def test_the_instruction_page_in_english(office: Bureau) -> None:
    notice = proposed(office)
    leader = signed_in(office.person("leader_1"))
    leader.cookies["django_language"] = "en"
    url = f"/handling/instructions/{instruction_of(notice, 'leader_1').pk}/"
    page = html(leader.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'lang="en"' in page
    assert "Agree with the proposal" in page
    assert "Proposal" in page
    answer = leader.post(url, {"kind": "text", "text": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert "The 批示 text is required" in html(answer)
    inbox = html(leader.get("/handling/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Document number" in inbox
    assert "文号" not in inbox


def test_named_leaders_and_the_units_people_open_the_notices_attachments(
    office: Bureau, django_assert_num_queries: Any
) -> None:
    """They decide and handle a 批办 notice without being its recipients: the document is theirs
    to read (the 批示 and 承办 pages link it); anyone else still gets 404."""
    notice = action_notice(office)
    data = small_pdf("来文正文")
    attachment = add_attachment(
        Actor(office.clerk), notice.pk, "来文.pdf", io.BytesIO(data), len(data)
    )
    propose_handling(
        Actor(office.clerk),
        notice.pk,
        ProposalInput(text=PROPOSAL, lead_unit="GYG", leaders=["leader_1", "leader_2"]),
    )
    url = f"/notices/{notice.pk}/attachments/{attachment.pk}/"
    leader = signed_in(office.person("leader_1"))
    page = html(leader.get(f"/handling/instructions/{instruction_of(notice, 'leader_1').pk}/"))
    assert f'href="{url}"' in page
    leader.get("/")  # the session's first reads
    with django_assert_num_queries(3):  # session, user, the attachment (one statement)
        answer = leader.get(url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == data  # type: ignore[attr-defined]

    # Not yet assigned: the lead unit's people do not see it before the 批示.
    assert signed_in(office.person("gyg_1")).get(url).status_code == 404
    both_agree(office, notice)
    unit_person = signed_in(office.person("gyg_1"))
    assert unit_person.get(url).status_code == 200
    stranger = PersonFactory(username="stranger", organisation=office.org)
    assert signed_in(stranger).get(url).status_code == 404
