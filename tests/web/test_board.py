"""传阅看板 (the clerk's board): open notices with progress, filters, 一键催办 and 撤回."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, AuditEvent, Notice, Person, Urgency
from tests.builders import Bureau
from tests.helpers import ack_of, circulating_notice, opened_ack, registered_notice
from workflows.machines import AckState, NoticeState
from workflows.models import ManualRemind
from workflows.services.acknowledging import confirm_acknowledgement

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def add_recipients(notice: Notice, count: int, *, overdue: int = 0) -> None:
    """``count`` more recipients in bulk (the first ``overdue`` of them late, a third confirmed)."""
    round_ = notice.rounds.get(number=1)
    unit = notice.acknowledgements.first().unit  # type: ignore[union-attr]
    start = Person.objects.count()
    people = Person.objects.bulk_create(
        Person(
            username=f"bulk{start + i}",
            display_name=f"批量{start + i}",
            organisation_id=notice.organisation_id,
        )
        for i in range(count)
    )
    now = timezone.now()
    Acknowledgement.objects.bulk_create(
        Acknowledgement(
            notice=notice,
            person=person,
            unit=unit,
            round=round_,
            state=AckState.CONFIRMED if i % 3 == 0 and i >= overdue else AckState.PENDING,
            confirmed_at=now if i % 3 == 0 and i >= overdue else None,
            due_at=now - timedelta(days=1) if i < overdue else notice.due_at,
        )
        for i, person in enumerate(people)
    )


def test_the_clerk_sees_open_notices_with_progress_per_notice_and_per_unit(
    bureau: Bureau,
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    opened_ack(notice, "gyg_1")
    confirm_acknowledgement(Actor(bureau.person("gyg_1")), ack_of(notice, "gyg_1").pk)
    registered = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    done = registered_notice(bureau.clerk, "舞工信〔2022〕27号")
    Notice.objects.filter(pk=done.pk).update(state=NoticeState.COMPLETED)

    client = signed_in(bureau.clerk)
    page = client.get("/board/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/notices/{notice.pk}/"' in html
    assert f'href="/notices/{registered.pk}/"' in html  # 已登记, not yet forwarded
    assert f'href="/notices/{done.pk}/"' not in html  # 已办结 is not on the board
    assert '<progress value="1" max="8"' in html
    assert "已确认 1/8" in html
    assert "尚未传阅" in html
    # per unit, loaded when 按机构查看 is opened (or the notice page's table without script)
    assert f'hx-get="/board/{notice.pk}/units/"' in html
    assert f'href="/notices/{notice.pk}/#progress-heading"' in html
    units = client.get(f"/board/{notice.pk}/units/", **HTMX)
    assert units.status_code == 200
    # 工业股 1 of 4, 县中小企业服务中心 0 of 4
    assert "工业股" in units.content.decode()
    assert "县中小企业服务中心" in units.content.decode()
    assert '<progress value="0" max="4"' in units.content.decode()
    assert '<progress value="1" max="4"' in units.content.decode()
    assert client.get(f"/board/{done.pk}/units/").status_code == 404  # not open any more


def test_overdue_is_a_word_and_an_icon_and_can_be_filtered(bureau: Bureau) -> None:
    late = circulating_notice(bureau.clerk)
    Acknowledgement.objects.filter(notice=late, person__username="gyg_2").update(
        due_at=timezone.now() - timedelta(hours=2)
    )
    on_time = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    client = signed_in(bureau.clerk)

    html = client.get("/board/").content.decode()
    assert "逾期 1 人" in html
    assert '<span aria-hidden="true">⚠</span>' in html

    only_late = client.get("/board/?overdue=on").content.decode()
    assert f'href="/notices/{late.pk}/"' in only_late
    assert f'href="/notices/{on_time.pk}/"' not in only_late


def test_filters_by_state_urgency_and_unit_and_htmx_gets_the_table_only(bureau: Bureau) -> None:
    to_gyg = circulating_notice(bureau.clerk, units=("GYG",))
    registered = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    Notice.objects.filter(pk=registered.pk).update(urgency=Urgency.URGENT)
    client = signed_in(bureau.clerk)

    def listed(query: str, **extra: str) -> set[int]:
        answer = client.get(f"/board/?{query}", **extra)
        assert answer.status_code == 200
        html = answer.content.decode()
        return {n.pk for n in (to_gyg, registered) if f'href="/notices/{n.pk}/"' in html}

    assert listed("state=registered") == {registered.pk}
    assert listed("state=circulating") == {to_gyg.pk}
    assert listed("urgency=urgent") == {registered.pk}
    assert listed("unit=GYG") == {to_gyg.pk}
    assert listed("unit=ZXFW") == set()

    table = client.get("/board/?state=circulating", **HTMX).content.decode()
    assert table.lstrip().startswith('<section id="board-table"')
    assert "<html" not in table


def test_a_bad_filter_is_a_400_naming_the_field(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk).get("/board/?state=archived&unit=NOPE")
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "筛选条件有误" in html
    assert "选择一个有效的选项" in html  # Django's own message beside the field, in Chinese


def test_only_clerks_and_admins_have_the_board(bureau: Bureau, outsider: Person) -> None:
    assert Client().get("/board/")["Location"] == "/signin/?next=/board/"
    for person in (outsider, bureau.person("gyg_head"), bureau.archivist):
        assert signed_in(person).get("/board/").status_code == 403
    notice = circulating_notice(bureau.clerk)
    for person in (outsider, bureau.person("gyg_1")):
        client = signed_in(person)
        assert client.get(f"/board/{notice.pk}/units/").status_code in {403, 404}
        assert client.post(f"/board/{notice.pk}/remind/").status_code in {403, 404}
        assert client.post(f"/board/{notice.pk}/withdraw/", {"reason": "x"}).status_code in {
            403,
            404,
        }
    assert not ManualRemind.objects.exists()
    notice.refresh_from_db()
    assert notice.state == NoticeState.CIRCULATING


def test_remind_then_a_second_click_says_when_the_next_is_allowed(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk)
    client = signed_in(bureau.clerk)

    first = client.post(f"/board/{notice.pk}/remind/", **HTMX)
    assert first.status_code == 200
    html = first.content.decode()
    assert html.lstrip().startswith(f'<tbody id="notice-{notice.pk}"')
    assert "已催办 4 人" in html
    remind = ManualRemind.objects.get(notice=notice)
    next_at = timezone.localtime(remind.requested_at + timedelta(minutes=30))
    assert f"下次可催办时间 {next_at:%Y-%m-%d %H:%M}" in html
    assert set(Acknowledgement.objects.values_list("reminders_sent", flat=True)) == {1}

    # known before clicking: the board shows it
    board = client.get("/board/").content.decode()
    assert f"下次可催办时间 {next_at:%Y-%m-%d %H:%M}" in board

    again = client.post(f"/board/{notice.pk}/remind/", **HTMX)
    assert again.status_code == 200  # htmx swaps 2xx only: the refusal is in the row
    assert "刚刚催办过" in again.content.decode()
    assert f"下次可催办时间 {next_at:%Y-%m-%d %H:%M}" in again.content.decode()

    plain = client.post(f"/board/{notice.pk}/remind/")
    assert plain.status_code == 429
    assert f"下次可催办时间 {next_at:%Y-%m-%d %H:%M}" in plain.content.decode()
    assert ManualRemind.objects.count() == 1
    assert set(Acknowledgement.objects.values_list("reminders_sent", flat=True)) == {1}


def test_remind_without_htmx_comes_back_to_the_board_with_a_message(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk)
    client = signed_in(bureau.clerk)
    answer = client.post(f"/board/{notice.pk}/remind/")
    assert answer.status_code == 302
    assert answer["Location"] == "/board/"
    assert "已催办 4 人" in client.get("/board/").content.decode()


def test_remind_in_english(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk)
    client = signed_in(bureau.clerk)
    client.post(f"/board/{notice.pk}/remind/", **HTMX)
    client.cookies["django_language"] = "en"
    again = client.post(f"/board/{notice.pk}/remind/", **HTMX)
    assert "A reminder was sent recently" in again.content.decode()


def test_withdraw_needs_a_reason_and_then_leaves_the_board(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk)
    client = signed_in(bureau.clerk)

    empty = client.post(f"/board/{notice.pk}/withdraw/", {"reason": ""}, **HTMX)
    assert empty.status_code == 200
    assert "请填写撤回原因" in empty.content.decode()
    assert 'aria-invalid="true"' in empty.content.decode()
    control = client.post(f"/board/{notice.pk}/withdraw/", {"reason": "误发\u202e"})
    assert control.status_code == 400
    assert "U+202E" in control.content.decode()
    notice.refresh_from_db()
    assert notice.state == NoticeState.CIRCULATING

    done = client.post(f"/board/{notice.pk}/withdraw/", {"reason": "文件已被上级撤销"}, **HTMX)
    assert done.status_code == 200
    assert "已撤回 舞工信〔2022〕25号" in done.content.decode()
    notice.refresh_from_db()
    assert notice.state == NoticeState.WITHDRAWN
    assert notice.closing_reason == "文件已被上级撤销"
    assert AuditEvent.objects.filter(notice=notice, action="notice.withdrawn").exists()
    assert f'href="/notices/{notice.pk}/"' not in client.get("/board/").content.decode()


@pytest.mark.parametrize("recipients", [10, 1000])
def test_the_board_costs_the_same_queries_for_10_or_1000_recipients(
    bureau: Bureau, recipients: int, django_assert_num_queries: Any
) -> None:
    notice = circulating_notice(bureau.clerk)
    registered_notice(bureau.clerk, "舞工信〔2022〕30号")
    add_recipients(notice, recipients - 4, overdue=3)
    client = signed_in(bureau.clerk)
    client.post(f"/board/{notice.pk}/remind/", **HTMX)  # a 下次可催办时间 to show
    with django_assert_num_queries(9):
        answer = client.get("/board/")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert f'max="{recipients}"' in html
    assert "逾期 3 人" in html
    assert "下次可催办时间" in html
