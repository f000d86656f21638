"""The staff inbox, the reading page, the attachment view and the notifications page, through
Django's test client: what a 股室 member sees and does, the API's permission rule (someone else's
acknowledgement is a 404), CSRF, and queries that do not grow with the rows."""

import hashlib
import io
import struct
import zlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import (
    Acknowledgement,
    Attachment,
    CirculationRound,
    ConfirmMethod,
    Notice,
    Person,
)
from circulation.records.models.notice import Urgency
from tests.builders import SAMPLE, Bureau
from tests.factories import PASSWORD
from tests.helpers import ack_of, small_pdf
from workflows.machines import AckState, NoticeState
from workflows.models import Notification, NotificationKind
from workflows.services.acknowledging import (
    confirm_acknowledgement,
    open_acknowledgement,
    return_acknowledgement,
)
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def notice_to(
    bureau: Bureau,
    serial: int,
    *,
    units: tuple[str, ...] = ("GYG",),
    title: str = "",
    urgency: str = Urgency.NORMAL,
    pdf: bool = False,
    due_in: timedelta | None = timedelta(days=3),
) -> Notice:
    """A notice 舞工信〔2022〕<serial>号 forwarded to ``units`` (with a PDF when asked)."""
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number", "title"}}
    fields["urgency"] = urgency
    actor = Actor(bureau.clerk)
    notice = register_notice(
        actor,
        NoticeInput(
            doc_number=f"舞工信〔2022〕{serial}号", title=title or f"第{serial}号通知", **fields
        ),
    ).notice
    if pdf:
        data = small_pdf()
        add_attachment(actor, notice.pk, "附件1.pdf", io.BytesIO(data), len(data))
    due_at = timezone.now() + due_in if due_in is not None else None
    forward_notice(
        actor, notice.pk, ForwardRequest(unit_codes=units, instruction="请认真学习", due_at=due_at)
    )
    notice.refresh_from_db()
    return notice


def signed_in(person: Person, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(person)
    return client


def test_the_inbox_has_four_tabs_with_counts_and_lists_each_tab(bureau: Bureau) -> None:
    staff = bureau.person("gyg_1")
    actor = Actor(staff)
    notices = [
        notice_to(bureau, n, urgency=Urgency.URGENT if n == 1 else "normal")
        for n in (1, 2, 3, 4, 5)
    ]
    open_acknowledgement(actor, ack_of(notices[2], "gyg_1").pk)
    confirmed = ack_of(notices[3], "gyg_1")
    open_acknowledgement(actor, confirmed.pk)
    confirm_acknowledgement(actor, confirmed.pk, comment="已学习")
    return_acknowledgement(actor, ack_of(notices[4], "gyg_1").pk, "误发")
    client = signed_in(staff)

    page = client.get("/inbox/")
    assert page.status_code == 200
    tabs = {tab["state"]: tab["count"] for tab in page.context["tabs"]}
    assert tabs == {"pending": 2, "read": 1, "confirmed": 1, "returned": 1}
    html = page.content.decode()
    assert 'aria-current="page"' in html
    assert "第1号通知" in html
    assert "第2号通知" in html
    assert "第3号通知" not in html
    assert "舞工信〔2022〕1号" in html
    assert "加急" in html  # 紧急程度 as a word

    returned = client.get("/inbox/?state=returned").content.decode()
    assert "第5号通知" in returned
    assert "第1号通知" not in returned
    confirmed_tab = client.get("/inbox/?state=confirmed").content.decode()
    assert "第4号通知" in confirmed_tab
    # An unknown tab is the default one, not an error.
    assert client.get("/inbox/?state=nonsense").context["state"] == "pending"


def test_an_overdue_item_says_so_in_words(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)
    Acknowledgement.objects.filter(notice=notice).update(due_at=timezone.now() - timedelta(hours=1))
    html = signed_in(bureau.person("gyg_1")).get("/inbox/").content.decode()
    assert "已逾期" in html


def test_the_inbox_needs_sign_in(bureau: Bureau) -> None:
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")


def test_reading_marks_it_opened_and_shows_the_notice_and_its_pdf(
    bureau: Bureau, media: Any
) -> None:
    notice = notice_to(bureau, 1, pdf=True)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(bureau.person("gyg_1"))

    page = client.get(f"/inbox/{ack.pk}/")
    assert page.status_code == 200
    ack.refresh_from_db()
    assert ack.state == AckState.READ
    assert ack.opened_at is not None
    html = page.content.decode()
    assert "第1号通知" in html
    assert "请认真学习" in html
    attachment = Attachment.objects.get(notice=notice)
    src = f"/notices/{notice.pk}/attachments/{attachment.pk}/"
    assert f'<iframe class="attachment-pdf" src="{src}"' in html
    assert page["X-Frame-Options"] == "DENY"  # the page itself is never framed

    served = client.get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("inline")
    assert served["X-Frame-Options"] == "SAMEORIGIN"
    directives = dict(
        part.strip().split(" ", 1) for part in served["Content-Security-Policy"].split(";")
    )
    assert directives["frame-ancestors"] == "'self'"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    body = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == attachment.sha256
    download = client.get(src + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def tiny_png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_an_image_is_shown_in_the_page_and_other_files_are_downloaded(
    bureau: Bureau, media: Any
) -> None:
    actor = Actor(bureau.clerk)
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on"}}
    notice = register_notice(actor, NoticeInput(**fields)).notice
    png, text = tiny_png(), "会议纪要\n".encode()
    image = add_attachment(actor, notice.pk, "现场照片.png", io.BytesIO(png), len(png))
    plain = add_attachment(actor, notice.pk, "纪要.txt", io.BytesIO(text), len(text))
    forward_notice(actor, notice.pk, ForwardRequest(unit_codes=["GYG"]))
    client = signed_in(bureau.person("gyg_1"))
    html = client.get(f"/inbox/{ack_of(notice, 'gyg_1').pk}/").content.decode()
    assert (
        f'<img class="attachment-image" src="/notices/{notice.pk}/attachments/{image.pk}/"' in html
    )
    assert f'src="/notices/{notice.pk}/attachments/{plain.pk}/"' not in html
    assert f'href="/notices/{notice.pk}/attachments/{plain.pk}/?download=1"' in html

    shown = client.get(f"/notices/{notice.pk}/attachments/{image.pk}/")
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    downloaded = client.get(f"/notices/{notice.pk}/attachments/{plain.pk}/")
    assert downloaded["Content-Disposition"].startswith("attachment")


def test_an_attachment_altered_on_disk_is_refused(bureau: Bureau, media: Any) -> None:
    notice = notice_to(bureau, 1, pdf=True)
    attachment = Attachment.objects.get(notice=notice)
    with attachment.file.open("wb") as handle:
        handle.write(small_pdf("篡改"))
    response = signed_in(bureau.person("gyg_1")).get(
        f"/notices/{notice.pk}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 409
    assert "SHA-256" in response.content.decode()


def test_someone_elses_acknowledgement_and_another_units_attachment_are_404(
    bureau: Bureau, media: Any
) -> None:
    notice = notice_to(bureau, 1, pdf=True)
    ack = ack_of(notice, "gyg_1")
    colleague = signed_in(bureau.person("gyg_2"))
    assert colleague.get(f"/inbox/{ack.pk}/").status_code == 404
    assert colleague.post(f"/inbox/{ack.pk}/confirm/", {"comment": "x"}).status_code == 404
    assert colleague.post(f"/inbox/{ack.pk}/return/", {"reason": "x"}).status_code == 404
    ack.refresh_from_db()
    assert ack.state == AckState.PENDING

    attachment = Attachment.objects.get(notice=notice)
    other_unit = signed_in(bureau.person("bgs_1"))
    assert other_unit.get(f"/notices/{notice.pk}/attachments/{attachment.pk}/").status_code == 404
    assert other_unit.get("/inbox/999999/").status_code == 404


def test_confirming_through_the_page_with_a_comment(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(bureau.person("gyg_1"))
    client.get(f"/inbox/{ack.pk}/")

    answer = client.post(f"/inbox/{ack.pk}/confirm/", {"comment": "认真学习，抓好落实"})
    assert answer.status_code == 303
    assert answer["Location"] == f"/inbox/{ack.pk}/"
    ack.refresh_from_db()
    assert ack.state == AckState.CONFIRMED
    assert ack.comment == "认真学习，抓好落实"
    assert ack.confirm_method == ConfirmMethod.SESSION
    html = client.get(f"/inbox/{ack.pk}/").content.decode()
    assert "已确认" in html
    assert "认真学习，抓好落实" in html
    assert "确认已阅知</button>" not in html


def test_confirming_with_htmx_answers_the_panel_only(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(bureau.person("gyg_1"))
    client.get(f"/inbox/{ack.pk}/")
    answer = client.post(f"/inbox/{ack.pk}/confirm/", {"comment": ""}, **HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.lstrip().startswith('<section id="ack-panel"')
    assert "已确认" in html
    assert "<html" not in html


def test_a_comment_with_a_control_character_is_refused_next_to_the_field(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(bureau.person("gyg_1"))
    client.get(f"/inbox/{ack.pk}/")
    answer = client.post(f"/inbox/{ack.pk}/confirm/", {"comment": "坏\x07字符"}, **HTMX)
    assert answer.status_code == 400
    assert "U+0007" in answer.content.decode()
    ack.refresh_from_db()
    assert ack.state == AckState.READ

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.post(f"/inbox/{ack.pk}/confirm/", {"comment": "坏\x07字符"})
    assert english.status_code == 400
    assert "U+0007" in english.content.decode()
    assert 'lang="en"' in english.content.decode()


def test_confirming_before_opening_is_explained(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    answer = signed_in(bureau.person("gyg_1")).post(f"/inbox/{ack.pk}/confirm/", {}, **HTMX)
    assert answer.status_code == 409
    assert "请先打开并阅读通知" in answer.content.decode()


def test_returning_needs_a_reason_and_tells_the_clerk(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(bureau.person("gyg_1"))
    client.get(f"/inbox/{ack.pk}/")

    empty = client.post(f"/inbox/{ack.pk}/return/", {"reason": ""})
    assert empty.status_code == 400
    assert "请填写退回原因" in empty.content.decode()
    ack.refresh_from_db()
    assert ack.state == AckState.READ

    answer = client.post(f"/inbox/{ack.pk}/return/", {"reason": "误发，非本股室业务"})
    assert answer.status_code == 303
    ack.refresh_from_db()
    assert ack.state == AckState.RETURNED
    assert ack.return_reason == "误发，非本股室业务"
    assert Notification.objects.filter(person=bureau.clerk, kind=NotificationKind.RETURNED).exists()
    html = client.get(f"/inbox/{ack.pk}/").content.decode()
    assert "已退回" in html
    assert "误发，非本股室业务" in html


def test_password_re_entry_when_the_organisation_requires_it(bureau: Bureau) -> None:
    bureau.org.require_password_on_confirm = True
    bureau.org.save()
    notice = notice_to(bureau, 1)
    ack = ack_of(notice, "gyg_1")
    client = signed_in(bureau.person("gyg_1"))
    page = client.get(f"/inbox/{ack.pk}/").content.decode()
    assert 'type="password"' in page

    missing = client.post(f"/inbox/{ack.pk}/confirm/", {"comment": ""})
    assert missing.status_code == 400
    assert "本机关要求确认时重新输入登录密码" in missing.content.decode()
    wrong = client.post(f"/inbox/{ack.pk}/confirm/", {"password": "not-it"})
    assert wrong.status_code == 400
    assert "密码不正确" in wrong.content.decode()
    ack.refresh_from_db()
    assert ack.state == AckState.READ

    right = client.post(f"/inbox/{ack.pk}/confirm/", {"password": PASSWORD, "comment": "已学"})
    assert right.status_code == 303
    ack.refresh_from_db()
    assert ack.state == AckState.CONFIRMED
    assert ack.confirm_method == ConfirmMethod.PASSWORD


def test_no_password_field_when_the_organisation_does_not_require_it(bureau: Bureau) -> None:
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    page = signed_in(bureau.person("gyg_1")).get(f"/inbox/{ack.pk}/").content.decode()
    assert 'type="password"' not in page


def test_a_form_without_the_csrf_token_is_refused(bureau: Bureau) -> None:
    ack = ack_of(notice_to(bureau, 1), "gyg_1")
    client = signed_in(bureau.person("gyg_1"), enforce_csrf_checks=True)
    client.get(f"/inbox/{ack.pk}/")
    assert client.post(f"/inbox/{ack.pk}/confirm/", {"comment": "x"}).status_code == 403
    assert client.post(f"/inbox/{ack.pk}/return/", {"reason": "x"}).status_code == 403
    ack.refresh_from_db()
    assert ack.state == AckState.READ


def test_home_shows_the_inbox_summary_with_the_next_deadline(bureau: Bureau) -> None:
    notice_to(bureau, 1, title="较晚的通知", due_in=timedelta(days=9))
    notice_to(bureau, 2, title="最近的通知", due_in=timedelta(days=2))
    html = signed_in(bureau.person("gyg_1")).get("/").content.decode()
    assert "最近的办理时限" in html
    assert html.index("最近的通知") < html.index("较晚的通知")
    assert "待阅：<strong>2</strong>" in html


# --- Notifications -------------------------------------------------------------------------------


def test_notifications_newest_first_unread_marked_and_linked(bureau: Bureau) -> None:
    notice = notice_to(bureau, 1)  # tells every recipient (kind forwarded)
    staff = bureau.person("gyg_1")
    ack = ack_of(notice, "gyg_1")
    Notification.objects.create(
        person=staff,
        title="较早的通知",
        link="/inbox/",
        created_at=timezone.now() - timedelta(days=2),
        read_at=timezone.now(),
    )
    client = signed_in(staff)
    page = client.get("/notifications/")
    html = page.content.decode()
    forwarded = Notification.objects.get(person=staff, kind=NotificationKind.FORWARDED)
    assert html.index(forwarded.title) < html.index("较早的通知")
    assert f'href="/inbox/{ack.pk}/"' in html  # the notice is in the inbox: the reading page
    assert "未读 1 条" in html
    assert '<span class="badge" id="unread-badge">1</span>' in html

    # The clerk's 退回通知 links to the notice page (the clerk has no acknowledgement of it).
    return_acknowledgement(Actor(staff), ack.pk, "误发")
    clerk_html = signed_in(bureau.clerk).get("/notifications/").content.decode()
    assert f'href="/notices/{notice.pk}/"' in clerk_html


def test_marking_one_read_updates_the_badge_and_all_read(bureau: Bureau) -> None:
    notice_to(bureau, 1)
    notice_to(bureau, 2)
    staff = bureau.person("gyg_1")
    first, second = Notification.objects.filter(person=staff).order_by("id")
    client = signed_in(staff)

    swapped = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/"}, **HTMX)
    assert swapped.status_code == 200
    html = swapped.content.decode()
    assert f'id="notification-{first.pk}"' in html
    assert '<span class="badge" id="unread-badge" hx-swap-oob="true">1</span>' in html
    first.refresh_from_db()
    assert first.read_at is not None

    assert (
        signed_in(bureau.person("gyg_2")).post(f"/notifications/{second.pk}/read/").status_code
        == 404
    )
    answer = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert answer.status_code == 303
    assert answer["Location"] == "/notifications/"
    assert not Notification.objects.filter(person=staff, read_at__isnull=True).exists()
    assert '<span class="badge" id="unread-badge">0</span>' in client.get("/").content.decode()


def test_marking_read_needs_a_post(bureau: Bureau) -> None:
    notice_to(bureau, 1)
    staff = bureau.person("gyg_1")
    notification = Notification.objects.get(person=staff)
    assert signed_in(staff).get(f"/notifications/{notification.pk}/read/").status_code == 405


# --- Queries do not grow with rows ----------------------------------------------------------------


def bulk_inbox(bureau: Bureau, person: Person, rows: int) -> None:
    """``rows`` circulating notices, each with an open acknowledgement of ``person`` and an
    unread notification (bulk: a thousand in well under a second)."""
    now = timezone.now()
    notices = Notice.objects.bulk_create(
        Notice(
            organisation=bureau.org,
            doc_number=f"舞工信〔2021〕{n}号",
            doc_number_original=f"舞工信〔2021〕{n}号",
            issuer_code="舞工信",
            year=2021,
            serial=n,
            title=f"批量通知{n}",
            issuer="舞阳县工业和信息化局",
            secrecy="public",
            received_at=now,
            received_by=bureau.clerk,
            state=NoticeState.CIRCULATING,
        )
        for n in range(1, rows + 1)
    )
    rounds = CirculationRound.objects.bulk_create(
        CirculationRound(notice=notice, number=1, forwarded_by=bureau.clerk, forwarded_at=now)
        for notice in notices
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(
            notice=notice,
            person=person,
            round=circulation_round,
            unit=bureau.units["GYG"],
            due_at=now + timedelta(days=n % 7 - 2),
        )
        for n, (notice, circulation_round) in enumerate(zip(notices, rounds, strict=True))
    )
    Notification.objects.bulk_create(
        Notification(
            person=person,
            kind=NotificationKind.FORWARDED,
            notice=notice,
            title=f"传阅通知：{notice.title}",
            link=f"/notices/{notice.pk}/",
            created_at=now,
        )
        for notice in notices
    )


@pytest.mark.parametrize("rows", [10, 1000])
def test_query_counts_do_not_grow_with_rows(
    bureau: Bureau, rows: int, django_assert_num_queries: Any
) -> None:
    staff = bureau.person("gyg_1")
    bulk_inbox(bureau, staff, rows)
    client = signed_in(staff)
    client.get("/")  # the session row is warm, as for someone browsing
    # session, user, unread badge, permissions (2), tab counts, the page of rows
    with django_assert_num_queries(5):
        page = client.get("/inbox/")
    assert len(page.context["rows"]) == 10 if rows == 10 else 20
    # session, user, unread badge, permissions (2), count, the page, its inbox items
    with django_assert_num_queries(6):
        listed = client.get("/notifications/")
    assert len(listed.context["rows"]) == min(rows, 20)
    ack = Acknowledgement.objects.filter(person=staff).first()
    assert ack is not None
    # session, user, the service's transaction (a savepoint in the test's) around the locked row,
    # the organisation, the attachments, permissions (2), badge
    client.get(f"/inbox/{ack.pk}/")  # opened once; later visits record nothing
    with django_assert_num_queries(8):
        client.get(f"/inbox/{ack.pk}/")
