"""The 处理笺 (阅办单) of a 批办 notice: the whole 批办 path on one A4 page, read back with pypdf;
PDF/A-3b with its data embedded; escaped text; who may read it; the link on the notice page."""

import hashlib
import io
import json
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from circulation.ackrecord.data import canonical_json, content_hash
from circulation.ackrecord.handling_sheet import SHEET_JSON_NAME
from circulation.ackrecord.handling_sheet_data import collect_sheet_data
from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.models import (
    Acknowledgement,
    Assignment,
    AuditEvent,
    Instruction,
    Notice,
    Person,
)
from circulation.records.roles import ARCHIVIST, CLERK
from tests.ackrecord.builders import (
    SHANGHAI,
    embedded_files,
    fonts_without_file,
    pdfa_identification,
)
from tests.builders import SAMPLE, Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.handling.builders import action_notice, proposal_body
from workflows.services.acknowledging import confirm_acknowledgement, open_acknowledgement
from workflows.services.instructing import InstructionInput, give_instruction
from workflows.services.proposing import ProposalInput, propose_handling
from workflows.services.replying import ReplyInput, record_reply
from workflows.services.undertaking import accept_assignment, record_result

pytestmark = pytest.mark.django_db(transaction=True)

PROPOSAL = "拟请工业股牵头办理，县中小企业服务中心协办，报赵局长、钱副局长阅示。"
INSTRUCTION = "请工业股抓紧制定实施方案，月底前报局党组。"
LEAD_RESULT = "已制定《数字政府建设实施方案》，经局党组会议研究通过，已印发各股室执行。"
CO_RESULT = "协办意见已书面报送工业股。"
REPLY = "已按要求将实施方案报送县政府办公室。"


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2022, month, day, hour, minute, tzinfo=SHANGHAI)


def sheet_url(notice: Notice) -> str:
    return f"/api/v1/notices/{notice.pk}/handling-sheet.pdf"


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return "".join(text.split())


def handle_to_the_end(bureau: Bureau, notice: Notice, **overrides: Any) -> None:
    """拟办 → 批示 (a text, a 圈阅) → 承办 (both units) → 传阅 (both confirm) → 答复."""
    clerk = Actor(bureau.clerk)
    body = proposal_body(text=PROPOSAL, reply_expected=True, **overrides)
    with time_machine.travel(at(9, 29, 10, 10), tick=False):
        propose_handling(clerk, notice.pk, ProposalInput(**body))
    instructions = {i.leader.username: i for i in Instruction.objects.filter(case__notice=notice)}
    with time_machine.travel(at(9, 29, 15, 30), tick=False):
        give_instruction(
            Actor(bureau.person("leader_1")),
            instructions["leader_1"].pk,
            InstructionInput("text", text=INSTRUCTION),
        )
    with time_machine.travel(at(9, 30, 8, 45), tick=False):
        give_instruction(
            Actor(bureau.person("leader_2")),
            instructions["leader_2"].pk,
            InstructionInput("circle"),
        )
    assignments = {a.unit.code: a for a in Assignment.objects.filter(case__notice=notice)}
    with time_machine.travel(at(10, 8, 9, 0), tick=False):
        accept_assignment(Actor(bureau.person("gyg_1")), assignments["GYG"].pk)
        record_result(Actor(bureau.person("zxfw_1")), assignments["ZXFW"].pk, CO_RESULT)
    for minute, ack in enumerate(
        Acknowledgement.objects.filter(notice=notice).select_related("person"), start=10
    ):
        with time_machine.travel(at(10, 9, 9, minute), tick=False):
            open_acknowledgement(Actor(ack.person), ack.pk)
            confirm_acknowledgement(Actor(ack.person), ack.pk, comment="已阅")
    with time_machine.travel(at(10, 10, 16, 0), tick=False):
        record_result(Actor(bureau.person("gyg_1")), assignments["GYG"].pk, LEAD_RESULT)
    with time_machine.travel(at(10, 11, 10, 0), tick=False):
        record_reply(clerk, notice.pk, ReplyInput(REPLY, date(2022, 10, 11), "exchange"))


@pytest.fixture
def handled(leaders: Bureau) -> Notice:
    with time_machine.travel(at(9, 29, 10, 0), tick=False):
        notice = action_notice(leaders)
    handle_to_the_end(leaders, notice)
    notice.refresh_from_db()
    assert notice.state == "completed"
    return notice


def get_sheet(api: Any, user: Person, notice: Notice) -> Any:
    return api(user).get(sheet_url(notice), HTTP_ACCEPT="application/pdf")


def test_the_sheet_shows_the_whole_path_on_one_a4_page(
    leaders: Bureau,
    handled: Notice,
    api: Any,
) -> None:
    response = get_sheet(api, leaders.clerk, handled)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    pdf = response.content
    assert hashlib.sha256(pdf).hexdigest() == response["X-Sheet-SHA256"]

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    text = text_of(pdf)
    squeezed = flat(text)
    for expected in [
        "收文处理笺",
        handled.registration_no,
        SAMPLE["issuer"],
        handled.doc_number,
        SAMPLE["title"],
        "公开",  # 密级 public
        "平件",  # 紧急程度 normal
        "2022年9月29日",  # 收文日期
        PROPOSAL,
        "拟办人：王收发",
        "2022-09-2910:10",  # 拟办 time
        INSTRUCTION,
        "赵局长2022-09-2915:30",
        "圈阅",
        "钱副局长2022-09-3008:45",
        "工业股（主办）",
        LEAD_RESULT,
        "2022-10-1016:00",
        "县中小企业服务中心（协办）",
        CO_RESULT,
        REPLY,
        "2022年10月11日经公文交换答复",
        "已办毕",
    ]:
        assert flat(str(expected)) in squeezed, expected
    for username in ("bgs_1", "bgs_2"):  # the readers and their confirmations
        name = leaders.person(username).name
        assert f"{name}（办公室）已确认" in squeezed
    assert "已确认2022-10-0909:1" in squeezed
    assert "第 1 页 共 1 页" in text

    # PDF/A-3b, every font embedded, the data embedded and hashed as printed.
    assert pdfa_identification(pdf) == ("3", "B")
    assert fonts_without_file(pdf) == []
    embedded = json.loads(embedded_files(pdf)[SHEET_JSON_NAME])
    data = embedded["handling_sheet"]
    assert data == json.loads(canonical_json(collect_sheet_data(handled.pk)))
    assert embedded["sheet"]["content_hash"] == content_hash(data)
    assert content_hash(data) == response["X-Sheet-Content-Hash"]
    assert content_hash(data) in squeezed
    assert [i["kind_label"] for i in data["handling"]["instructions"]] == ["批示", "圈阅"]

    # The download is audited: who, which notice, the data's hash and the file's SHA-256.
    event = AuditEvent.objects.filter(notice=handled).order_by("seq").last()
    assert event is not None
    assert event.action == "record.sheet_downloaded"
    assert event.actor_id == leaders.clerk.pk
    assert event.data["sha256"] == response["X-Sheet-SHA256"]
    assert event.data["content_hash"] == response["X-Sheet-Content-Hash"]
    assert verify_chain().ok


def test_user_text_is_printed_as_text_not_markup(leaders: Bureau, api: Any) -> None:
    notice = action_notice(leaders)
    hostile = '<b>加粗</b><img src="http://example.invalid/x.png"> & 《意见》'
    propose_handling(Actor(leaders.clerk), notice.pk, ProposalInput(**proposal_body(text=hostile)))
    response = get_sheet(api, leaders.clerk, notice)
    assert response.status_code == 200
    squeezed = flat(text_of(response.content))
    assert flat(hostile) in squeezed
    assert "钱副局长（待批示）" in squeezed
    assert "（尚未交办）" in squeezed


def test_a_notice_not_yet_proposed_prints_the_blank_form(leaders: Bureau, api: Any) -> None:
    notice = action_notice(leaders)
    response = get_sheet(api, leaders.person("leader_1"), notice)  # a leader may read it
    assert response.status_code == 200
    squeezed = flat(text_of(response.content))
    assert "（尚未拟办）" in squeezed
    assert "（尚未送批）" in squeezed
    assert "（未传阅）" in squeezed
    assert "待拟办" in squeezed


def test_a_delegate_is_named_x_for_y(leaders: Bureau, handled: Notice, api: Any) -> None:
    # 批示 on behalf of a leader is not wired into the services yet: the sheet shows it already.
    Instruction.objects.filter(case__notice=handled, leader__username="leader_2").update(
        acted_by=leaders.person("director")
    )
    squeezed = flat(text_of(get_sheet(api, leaders.clerk, handled).content))
    assert "孙主任代钱副局长" in squeezed


def test_only_the_record_readers_get_it_and_a_read_notice_has_none(
    leaders: Bureau,
    handled: Notice,
    api: Any,
) -> None:
    for username in ("gyg_1", "gyg_head", "bgs_1"):  # 承办 unit, its head, a reader: 404
        response = get_sheet(api, leaders.person(username), handled)
        assert response.status_code == 404, username
        assert response.json()["code"] == "not_found"
    other = OrganisationFactory(name="舞阳县农业农村局", fonds_code="Z200")
    other_clerk = PersonFactory(username="ny_clerk", organisation=other, roles=[CLERK, ARCHIVIST])
    assert get_sheet(api, other_clerk, handled).status_code == 404
    assert api(None).get(sheet_url(handled)).status_code in (401, 403)
    assert get_sheet(api, leaders.archivist, handled).status_code == 200

    read = action_notice(leaders, "舞工信〔2022〕34号")
    read.handling = "read"
    read.save(update_fields=["handling"])
    response = get_sheet(api, leaders.clerk, read)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_action"
    assert "阅知件" in body["detail"]
    assert "not for action" in body["detail_en"]
    assert body["errors"][0]["field"] == "id"


def test_the_data_is_read_in_a_constant_number_of_queries(
    leaders: Bureau,
    handled: Notice,
    api: Any,
) -> None:
    with CaptureQueriesContext(connection) as few:
        collect_sheet_data(handled.pk)
    client = api(leaders.clerk)
    assert client.get(sheet_url(handled)).status_code == 200
    with CaptureQueriesContext(connection) as request_few:
        assert client.get(sheet_url(handled)).status_code == 200
    other = action_notice(leaders, "舞工信〔2022〕32号")
    readers = ["bgs_1", "bgs_2", "bgs_3", "bgs_head", "gyg_2", "gyg_3", "zxfw_2", "zxfw_3"]
    handle_to_the_end(leaders, other, readers=readers, co_units=["ZXFW", "BGS"])
    with CaptureQueriesContext(connection) as many:
        data = collect_sheet_data(other.pk)
    assert len(data["readers"]) == 8
    assert len(data["handling"]["assignments"]) == 3
    assert len(many) == len(few) == 13
    with CaptureQueriesContext(connection) as request_many:
        assert client.get(sheet_url(other)).status_code == 200
    # the token with its user, whether a sealed 处理笺 is archived, the notice, the permissions;
    # BEGIN, the 13, COMMIT; and the audit event (BEGIN, the append with the chain head, COMMIT)
    assert len(request_many) == len(request_few) == 22


def test_the_notice_page_links_the_sheet_of_a_handled_notice_only(
    client: Any,
    leaders: Bureau,
    handled: Notice,
) -> None:
    client.force_login(leaders.clerk)
    page = client.get(f"/notices/{handled.pk}/").content.decode()
    assert f'href="{sheet_url(handled)}"' in page
    read = action_notice(leaders, "舞工信〔2022〕33号")
    read.handling = "read"
    read.save(update_fields=["handling"])
    page = client.get(f"/notices/{read.pk}/").content.decode()
    assert "handling-sheet.pdf" not in page


def test_long_texts_flow_on_to_further_pages_and_nothing_is_lost(leaders: Bureau, api: Any) -> None:
    """Every text at its 2,000-character limit: the boxes continue on the next pages (no page
    left half empty before a long box), each page names the 文号 and its number."""
    notice = action_notice(leaders)
    proposal = "".join(f"拟办第{i:03d}条；" for i in range(1, 300))[:2000]
    instruction = "".join(f"批示第{i:03d}条；" for i in range(1, 300))[:2000]
    result = "".join(f"结果第{i:03d}条；" for i in range(1, 300))[:2000]
    readers = ["bgs_1", "bgs_2", "bgs_3", "bgs_head", "gyg_2", "gyg_3", "zxfw_2", "zxfw_3"]
    propose_handling(
        Actor(leaders.clerk),
        notice.pk,
        ProposalInput(**proposal_body(text=proposal, readers=readers, leaders=["leader_1"])),
    )
    ins = Instruction.objects.get(case__notice=notice)
    give_instruction(
        Actor(leaders.person("leader_1")), ins.pk, InstructionInput("text", text=instruction)
    )
    lead = Assignment.objects.get(case__notice=notice, role="lead")
    record_result(Actor(leaders.person("gyg_1")), lead.pk, result)

    response = get_sheet(api, leaders.clerk, notice)
    assert response.status_code == 200
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages]
    assert 3 <= len(pages) <= 4
    body = []
    for number, page in enumerate(pages, start=1):
        lines = page.splitlines()
        margin = [ln for ln in lines if "收文处理笺" in ln and notice.doc_number in ln]
        footer = [ln for ln in lines if ln.strip() == f"第 {number} 页 共 {len(pages)} 页"]
        assert margin, number
        assert footer, number
        body.append("".join(ln for ln in lines if ln not in margin and ln not in footer))
    assert flat(proposal[:40]) in flat(body[0])  # the first page carries the form and its start
    whole = flat("".join(body))
    # Text the extraction may read in the middle of a box: each box's label (centred beside it)
    # and page 1's heading (beside the blank corner left for the 归档章).
    heading = flat(f"{leaders.org.name}收文处理笺（阅办单）")
    for label in ("拟办意见", "领导批示", "办理结果", heading):
        whole = whole.replace(label, "", 1)
    for text in (proposal, instruction, result):
        assert flat(text) in whole
    assert pdfa_identification(response.content) == ("3", "B")


def test_the_archive_stamp_and_seal_would_cover_nothing(
    leaders: Bureau,
    handled: Notice,
    api: Any,
) -> None:
    """The sheet leaves the record's blank corner for the 归档章 and the seal's signature: the
    archive's own stamping (circulation/archive/stamp.py) on it covers no text and no line of the
    form, and the stamped file stays PDF/A-3b."""
    import pdfplumber

    from circulation.archive import stamp

    pdf = get_sheet(api, leaders.clerk, handled).content
    data = stamp.StampData("Z109", 2022, 7, "BGS", "D30", 1)
    mark = stamp.SealMark("测试县测试局电子印章", "Z109-2022-D30-BGS-0007", "2022-10-12", True)
    stamped = stamp.apply_stamp(pdf, data, mark)
    assert pdfa_identification(stamped) == ("3", "B")
    mm = 72 / 25.4
    with pdfplumber.open(io.BytesIO(stamped)) as document:
        page = document.pages[0]
        x1 = page.width - stamp.MARGIN_RIGHT_MM * mm
        top = stamp.MARGIN_TOP_MM * mm
        corner = (
            x1 - stamp.STAMP_W_MM * mm,
            top,
            x1,
            top + (stamp.STAMP_H_MM + stamp.SIG_GAP_MM + stamp.SIG_H_MM) * mm,
        )

        def inside(o: dict[str, Any]) -> bool:
            return (
                o["x1"] > corner[0]
                and o["x0"] < corner[2]
                and o["bottom"] > corner[1]
                and o["top"] < corner[3]
            )

        def red(o: dict[str, Any]) -> bool:
            color = o.get("non_stroking_color") or o.get("stroking_color") or ()
            return isinstance(color, tuple) and len(color) == 3 and color[0] > 0.5 > color[1]

        chars = [c for c in page.chars if inside(c)]
        assert chars  # the stamp's own text …
        assert [c["text"] for c in chars if not red(c)] == []  # … and nothing of the sheet
        assert [o for o in (*page.lines, *page.rects) if inside(o) and not red(o)] == []
        assert page.annots  # the empty signature field under the stamp
