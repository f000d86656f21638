"""The archivist's pages under /archive/: only archivists of the organisation (404 for staff and
for another organisation), the 档号 previewed is the one assigned, the 四性 report readable, the
search highlights 数字, the catalogue as CSV/XLSX, and queries that do not grow with the rows."""

import csv
import io
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from circulation.archive import search_plan
from circulation.archive.models import ArchivedRecord
from circulation.archive.search import search_fields
from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.models import AuditEvent, Notice
from circulation.records.roles import ARCHIVIST
from tests.archive.builders import completed_notice, direct_record
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.helpers import race
from tests.web.test_board import signed_in
from workflows.services import archiving

pytestmark = pytest.mark.django_db

DIGITAL = "关于转发《国务院关于加强数字政府建设的指导意见》的通知"


@pytest.fixture
def done(bureau: Bureau, media: Any) -> Notice:
    return completed_notice(bureau, title=DIGITAL)


def previewed_code(html: str) -> str:
    found = re.search(r'id="previewed-code">([^<]+)<', html)
    assert found, html
    return found.group(1)


def main_of(html: str) -> str:
    return html[html.index('<main id="main"') :]


def last_check_of(html: str) -> tuple[str, str, str]:
    """(datetime attribute, shown time, who) of the last check on the record page."""
    found = re.search(
        r'id="last-check">最近校验时间：<time datetime="([^"]+)">([^<]+)</time>'
        r"\s*（校验人：([^）]+)）",
        html,
    )
    assert found, html
    return found.group(1), found.group(2), found.group(3)


def archive_pages(code: str, notice_id: int) -> list[str]:
    return [
        "/archive/",
        "/archive/search/?q=数字",
        "/archive/catalogue/",
        "/archive/catalogue.csv?year=2022",
        "/archive/catalogue.xlsx?year=2022",
        f"/archive/notices/{notice_id}/",
        f"/archive/notices/{notice_id}/preview/?retention=D30&unit=BGS",
        f"/archive/records/{code}/",
        f"/archive/records/{code}/record.pdf",
    ]


def test_staff_and_other_organisations_get_404(bureau: Bureau, media: Any) -> None:
    record = direct_record(bureau, "舞工信〔2022〕25号", DIGITAL, item_no=1)
    pending = completed_notice(bureau, "舞工信〔2022〕26号")
    staff = signed_in(bureau.person("gyg_1"))
    for url in archive_pages(record.archival_code, pending.pk):
        assert staff.get(url).status_code == 404, url
    assert staff.post(f"/archive/records/{record.archival_code}/verify/").status_code == 404
    assert staff.post(f"/archive/notices/{pending.pk}/", {"retention": "D30"}).status_code == 404
    assert "/archive/" not in staff.get("/").content.decode()  # no nav link
    assert not Notice.objects.filter(pk=pending.pk, state="archived").exists()

    other = PersonFactory(
        organisation=OrganisationFactory(name="舞阳县教育局", fonds_code="Z110"), roles=[ARCHIVIST]
    )
    elsewhere = signed_in(other)
    assert elsewhere.get("/archive/").status_code == 200  # their own (empty) archive
    for url in archive_pages(record.archival_code, pending.pk)[5:]:
        assert elsewhere.get(url).status_code == 404, url
    assert "舞工信" not in elsewhere.get("/archive/search/?q=数字").content.decode()
    assert "舞工信" not in elsewhere.get("/archive/").content.decode()

    mine = signed_in(bureau.archivist)
    assert 'href="/archive/"' in mine.get("/").content.decode()
    for url in archive_pages(record.archival_code, pending.pk)[:7]:
        assert mine.get(url).status_code == 200, url
    assert Client().get("/archive/").status_code == 302  # sign in first


def test_the_previewed_code_is_the_one_assigned(bureau: Bureau, done: Notice) -> None:
    archivist = signed_in(bureau.archivist)
    queue = archivist.get("/archive/").content.decode()
    assert f'href="/archive/notices/{done.pk}/"' in queue
    form = archivist.get(f"/archive/notices/{done.pk}/").content.decode()
    assert previewed_code(form) == "Z109-WS·2022-D30-BGS-0001"  # 定期30年 and 办公室 by default
    swapped = archivist.get(f"/archive/notices/{done.pk}/preview/?retention=Y&unit=GYG")
    preview = previewed_code(swapped.content.decode())
    assert preview == "Z109-WS·2022-Y-GYG-0001"

    answer = archivist.post(
        f"/archive/notices/{done.pk}/",
        {"retention": "Y", "unit": "GYG", "previewed": preview},
        follow=True,
    )
    assert answer.status_code == 200
    record = ArchivedRecord.objects.get(notice=done)
    assert record.archival_code == preview
    html = answer.content.decode()
    assert answer.redirect_chain[-1][0].startswith("/archive/records/")
    assert f"已归档，档号 {preview}。" in html
    assert "被他人归档占用" not in html
    # archived: out of the queue, and the form now leads to the record
    assert f"/archive/notices/{done.pk}/" not in archivist.get("/archive/").content.decode()
    assert archivist.get(f"/archive/notices/{done.pk}/").status_code == 302


def test_someone_archiving_in_between_is_told(bureau: Bureau, done: Notice) -> None:
    other = completed_notice(bureau, "舞工信〔2022〕26号", attachment=False)
    archivist = signed_in(bureau.archivist)
    preview = previewed_code(archivist.get(f"/archive/notices/{done.pk}/").content.decode())
    archiving.archive_notice(Actor(bureau.archivist), other.pk, retention="D30")  # takes 0001
    answer = archivist.post(
        f"/archive/notices/{done.pk}/",
        {"retention": "D30", "unit": "BGS", "previewed": preview},
        follow=True,
    )
    assert ArchivedRecord.objects.get(notice=done).archival_code == "Z109-WS·2022-D30-BGS-0002"
    assert f"预览的 {preview} 已在此期间被他人归档占用" in answer.content.decode()


def test_a_bad_retention_is_shown_by_its_field(bureau: Bureau, done: Notice) -> None:
    answer = signed_in(bureau.archivist).post(
        f"/archive/notices/{done.pk}/", {"retention": "D99", "unit": "BGS"}
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    reason = "保管期限只能是 Y（永久）、D30（定期30年）或 D10（定期10年）"
    assert f'id="retention-error">{reason}' in html
    assert not ArchivedRecord.objects.exists()


def test_the_checks_report_is_readable(
    bureau: Bureau, done: Notice, monkeypatch: pytest.MonkeyPatch
) -> None:
    archivist = signed_in(bureau.archivist)
    real = archiving.check_integrity

    def failing(report: Any, notice: Notice) -> None:
        real(report, notice)
        report.add("integrity", "test_missing", False, "缺少签批单<b>", "Missing <b>")

    monkeypatch.setattr(archiving, "check_integrity", failing)
    refused = archivist.post(f"/archive/notices/{done.pk}/", {"retention": "D30", "unit": "BGS"})
    assert refused.status_code == 409
    html = main_of(refused.content.decode())
    assert "四性检测未通过，未归档" in html
    assert "<caption>完整性：有问题</caption>" in html
    assert "缺少签批单&lt;b&gt;" in html  # escaped
    assert "未通过" in html
    assert "真实性" in html
    assert '"aspects"' not in html
    assert "{&#x27;" not in html
    assert '{"' not in html
    assert not ArchivedRecord.objects.exists()

    monkeypatch.setattr(archiving, "check_integrity", real)
    archivist.post(f"/archive/notices/{done.pk}/", {"retention": "D30", "unit": "BGS"})
    record = ArchivedRecord.objects.get(notice=done)
    page = main_of(archivist.get(f"/archive/records/{record.archival_code}/").content.decode())
    assert "<caption>真实性：通过</caption>" in page
    assert "<caption>安全性：通过</caption>" in page
    assert "DA/T 70-2018" in page
    assert '"aspects"' not in page
    assert '"checks"' not in page
    # the record page: catalogue metadata, the sealed PDF framed, attachments, history
    assert record.archival_code in page
    assert "舞工信〔2022〕25号" in page
    assert f'src="{reverse("web:archive-pdf", args=[record.archival_code])}"' in page
    assert "附件1.pdf" in page
    assert "归档" in page
    assert "已认真学习" not in page
    pdf = archivist.get(f"/archive/records/{record.archival_code}/record.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "最近校验时间：从未校验。" in page  # never checked yet
    url = f"/archive/records/{record.archival_code}/verify/"
    verified = archivist.post(url, HTTP_HX_REQUEST="true")
    text = verified.content.decode()
    assert verified.status_code == 200
    assert "完好" in text
    assert record.record_sha256 in text
    event = AuditEvent.objects.get(action="archive.verified")
    assert event.actor == bureau.archivist
    assert event.data["ok"] is True
    assert event.data["outcome"]["sha256"] == record.record_sha256
    assert event.data["outcome"]["problems"] == []
    shown = last_check_of(text)
    assert shown == (
        timezone.localtime(event.at).isoformat(),  # Asia/Shanghai, +08:00
        timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
        "李档案",
    )
    assert shown[0].endswith("+08:00")
    # a double click records the check once, and answers with that check's time
    again = archivist.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert AuditEvent.objects.filter(action="archive.verified").count() == 1
    assert last_check_of(again) == shown
    # remembered: the page shows the last check before anyone clicks, and the history has it
    later = main_of(archivist.get(f"/archive/records/{record.archival_code}/").content.decode())
    assert last_check_of(later) == shown
    assert "完好" in later
    assert "从未校验" not in later
    assert "校验归档文件" in later


def test_a_failed_check_is_remembered_with_its_problems(
    bureau: Bureau, media: Any, django_assert_num_queries: Any
) -> None:
    record = direct_record(bureau, "舞工信〔2022〕25号", DIGITAL, item_no=1)  # no sealed file
    archivist = signed_in(bureau.archivist)
    page_url = f"/archive/records/{record.archival_code}/"
    start = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(start, tick=False):
        answer = archivist.post(f"{page_url}verify/")  # without htmx: the whole page
    assert answer.status_code == 200
    html = main_of(answer.content.decode())
    assert "发现问题：" in html
    assert "<li>归档文件缺失</li>" in html
    assert last_check_of(html) == ("2026-11-24T09:00:00+08:00", "2026-11-24 09:00:00", "李档案")
    event = AuditEvent.objects.get(action="archive.verified")
    assert event.data["ok"] is False
    assert "file_missing" in [p["code"] for p in event.data["outcome"]["problems"]]

    # the API's check (GET …/verify/) is recorded too, a minute later, and the page shows it
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        api = archivist.get(f"/api/v1/archive/{record.archival_code}/verify/")
    assert api.status_code == 200
    assert api.json()["checked_at"] == "2026-11-24T09:01:00+08:00"
    assert api.json()["ok"] is False
    assert AuditEvent.objects.filter(action="archive.verified").count() == 2
    with django_assert_num_queries(QUERIES["record"]):
        page = main_of(archivist.get(page_url).content.decode())
    assert last_check_of(page)[1] == "2026-11-24 09:01:00"
    assert "<li>归档文件缺失</li>" in page
    english = signed_in(bureau.archivist)
    english.cookies["django_language"] = "en"
    assert "The sealed file is missing" in english.get(page_url).content.decode()


def test_further_checks_of_verification_are_shown_by_name_and_verdict(
    bureau: Bureau, media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verification may report more than the hashes (e.g. a signature): each further check is
    stored with the outcome and shown with its verdict and message."""

    @dataclass(frozen=True)
    class SealedResult:  # what verification answers, plus one more check of its own
        ok: bool
        sha256: str | None
        checked_at: datetime

        def as_dict(self) -> dict[str, Any]:
            seal = {"ok": False, "message": "签名<无效>", "message_en": "Signature invalid"}
            return {**asdict(self), "problems": [], "seal": seal}

    def verify(record: ArchivedRecord) -> SealedResult:
        return SealedResult(False, None, timezone.now())

    monkeypatch.setattr(archiving, "verify_record", verify)
    record = direct_record(bureau, "舞工信〔2022〕25号", DIGITAL, item_no=1)
    archivist = signed_in(bureau.archivist)
    archivist.post(f"/archive/records/{record.archival_code}/verify/")
    page = main_of(archivist.get(f"/archive/records/{record.archival_code}/").content.decode())
    assert "未通过</span> 签名&lt;无效&gt;</li>" in page
    event = AuditEvent.objects.get(action="archive.verified")
    assert event.data["outcome"]["seal"]["message_en"] == "Signature invalid"


@pytest.mark.django_db(transaction=True)
def test_a_double_click_records_one_check(bureau: Bureau, media: Any) -> None:
    record = direct_record(bureau, "舞工信〔2022〕25号", DIGITAL, item_no=1)
    url = f"/archive/records/{record.archival_code}/verify/"
    clients = [signed_in(bureau.archivist) for _ in range(3)]
    answers = race([lambda c=c: c.post(url, HTTP_HX_REQUEST="true") for c in clients])
    assert [getattr(a, "status_code", a) for a in answers] == [200, 200, 200]
    assert AuditEvent.objects.filter(action="archive.verified").count() == 1
    assert len({last_check_of(a.content.decode()) for a in answers}) == 1
    assert verify_chain().ok


def test_search_highlights_a_two_character_term(bureau: Bureau, media: Any) -> None:
    direct_record(bureau, "舞工信〔2022〕25号", "关于<b>数字</b>政府建设的通知", item_no=1)
    direct_record(
        bureau,
        "漯工信〔2022〕31号",
        "关于开展安全生产大检查的通知",
        body="各县区：为推进数字政府建设，现将有关事项通知如下。",
        item_no=2,
    )
    direct_record(bureau, "舞工信〔2022〕26号", "关于报送统计数据的通知", item_no=3)
    html = signed_in(bureau.archivist).get("/archive/search/?q=数字").content.decode()
    assert "找到 3 件" not in html
    assert "关于&lt;b&gt;<mark>数字</mark>&lt;/b&gt;政府建设的通知" in html
    assert "为推进<mark>数字</mark>政府建设" in html  # the body's snippet
    assert "统计数据" not in html
    record = ArchivedRecord.objects.get(doc_number="舞工信〔2022〕25号")
    assert f'href="{reverse("web:archive-record", args=[record.archival_code])}"' in html
    fragment = signed_in(bureau.archivist).get("/archive/search/?q=工信〔2022〕25").content.decode()
    assert "舞<mark>工信</mark>〔<mark>2022</mark>〕<mark>25</mark>号" in fragment
    bad = signed_in(bureau.archivist).get("/archive/search/?q=数字&year=20x2")
    assert 'id="year-error"' in bad.content.decode()


def test_catalogue_on_screen_csv_and_xlsx(bureau: Bureau, media: Any) -> None:
    record = direct_record(bureau, "舞工信〔2022〕25号", DIGITAL, item_no=1)
    direct_record(bureau, "舞政办〔2021〕12号", "二〇二一年的通知", year=2021, item_no=1)
    archivist = signed_in(bureau.archivist)
    html = archivist.get("/archive/catalogue/?year=2022").content.decode()
    assert record.archival_code in html
    assert "二〇二一年的通知" not in html
    assert '<th scope="col">档号</th>' in html
    answer = archivist.get("/archive/catalogue.csv?year=2022")
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["序号", "档号"]
    assert rows[1][:3] == ["1", record.archival_code, "舞工信〔2022〕25号"]
    assert len(rows) == 2
    xlsx = archivist.get("/archive/catalogue.xlsx?year=2022")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][1] == record.archival_code


def bulk_archive(bureau: Bureau, count: int, *, state: str = "archived") -> None:
    """``count`` notices in bulk: archived with a record row (no PDF), or completed."""
    tz = timezone.get_current_timezone()
    notices = Notice.objects.bulk_create(
        Notice(
            organisation=bureau.org,
            state=state,
            doc_number=f"舞统〔2022〕{n}号",
            doc_number_original=f"舞统〔2022〕{n}号",
            issuer_code="舞统",
            year=2022,
            serial=n,
            title=f"关于数字经济统计第{n}期的通知",
            issuer="舞阳县统计局",
            doc_type="通知",
            issued_on=date(2022, 3, 1),
            secrecy="public",
            body="数字经济",
            received_at=datetime.combine(date(2022, 3, 1), time(9), tz),
            completed_at=datetime.combine(date(2022, 3, 2), time(9), tz),
            received_by=bureau.clerk,
        )
        for n in range(1, count + 1)
    )
    if state != "archived":
        return
    ArchivedRecord.objects.bulk_create(
        ArchivedRecord(
            notice=notice,
            organisation=bureau.org,
            archival_code=f"Z109-WS·2022-D10-BGS-{n:04d}",
            fonds_code="Z109",
            year=2022,
            retention="D10",
            unit=bureau.units["BGS"],
            unit_code="BGS",
            item_no=n,
            doc_number=notice.doc_number,
            title=notice.title,
            issuer=notice.issuer,
            issued_on=date(2022, 3, 1),
            secrecy="public",
            file=f"archive/Z109/2022/bulk-{n}.pdf",
            page_count=1,
            record_sha256="0" * 64,
            record_size=1,
            rendition_sha256="0" * 64,
            row_sha256="0" * 64,
            archived_at=timezone.now(),
            archived_by=bureau.archivist,
            **search_fields(
                title=notice.title, doc_number=notice.doc_number, issuer=notice.issuer, body="数字"
            ),
        )
        for n, notice in enumerate(notices, start=1)
    )


@pytest.mark.parametrize("rows", [10, 1000])
def test_queries_do_not_grow_with_the_rows(
    bureau: Bureau, rows: int, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk_archive(bureau, rows)
    # One way of running the search (search_plan picks it from statistics that vary), and its
    # statistics cached as in a running server.
    if hasattr(search_plan, "choose_mode"):
        monkeypatch.setattr(search_plan, "choose_mode", lambda *a, **k: "index")
    else:  # the planner of issue 12: ``choose`` answers a Plan
        monkeypatch.setattr(search_plan, "choose", lambda *a, **k: search_plan.Plan("index"))
    archivist = signed_in(bureau.archivist)
    archivist.get("/archive/search/?q=数字&year=2022")
    # 10 rows: the count found every match and the page is fetched by id (no page searches).
    with django_assert_num_queries(QUERIES["search"]):
        answer = archivist.get("/archive/search/?q=数字&year=2022")
    assert answer.status_code == 200
    assert answer.content.decode().count('class="card hit"') == min(rows, 20)
    with django_assert_num_queries(QUERIES["catalogue"]):
        answer = archivist.get("/archive/catalogue/?year=2022")
    assert answer.content.decode().count(">Z109-WS·2022-D10-BGS-") == rows
    with django_assert_num_queries(QUERIES["csv"]):
        answer = archivist.get("/archive/catalogue.csv?year=2022")
    assert answer.content.decode("utf-8-sig").count("\r\n") == rows + 1
    with django_assert_num_queries(QUERIES["record"]):
        assert archivist.get("/archive/records/Z109-WS·2022-D10-BGS-0001/").status_code == 200


@pytest.mark.parametrize("rows", [10, 1000])
def test_the_queue_queries_do_not_grow(
    bureau: Bureau, rows: int, django_assert_num_queries: Any
) -> None:
    bulk_archive(bureau, rows, state="completed")
    archivist = signed_in(bureau.archivist)
    with django_assert_num_queries(QUERIES["queue"]):
        answer = archivist.get("/archive/")
    assert answer.content.decode().count('class="button primary" href="/archive/notices/') == min(
        rows, 50
    )


QUERIES = {"search": 11, "catalogue": 5, "csv": 4, "record": 6, "queue": 5}
