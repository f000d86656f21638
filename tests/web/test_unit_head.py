"""本机构 (the unit head's page): their unit's open notices and pending people, a reminder to
their own people (rate-limited, audited, delivered like the clerk's 催办), their own inbox."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, AuditEvent, Notice, Person
from tests.builders import Bureau
from tests.helpers import ack_of, circulating_notice, opened_ack, registered_notice
from workflows.machines import AckState
from workflows.models import ManualRemind, Message, Notification, NotificationKind, Reminder
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.reminding import remind_notice

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_head_sees_exactly_their_units_pending_people(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    opened_ack(notice, "gyg_1")
    opened_ack(notice, "gyg_2")
    confirm_acknowledgement(Actor(bureau.person("gyg_2")), ack_of(notice, "gyg_2").pk)

    page = signed_in(bureau.person("gyg_head")).get("/unit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert notice.title in html
    assert f'href="/notices/{notice.pk}/"' in html
    pending = {u for u in ("gyg_head", "gyg_1", "gyg_2", "gyg_3") if f'data-username="{u}"' in html}
    assert pending == {"gyg_head", "gyg_1", "gyg_3"}  # gyg_2 confirmed
    assert "zxfw_1" not in html  # another unit's people
    assert "已确认 1/4" in html
    assert "已打开，未确认" in html  # gyg_1 opened it
    assert "未打开" in html
    assert "提醒这 3 人" in html
    assert 'href="/unit/"' in html  # the nav link, for heads
    assert "收件箱" in html  # their own inbox


def test_people_who_head_no_unit_get_404_and_no_link(bureau: Bureau) -> None:
    for person in (bureau.person("gyg_1"), bureau.clerk):
        client = signed_in(person)
        assert client.get("/unit/").status_code == 404
        assert 'href="/unit/"' not in client.get("/").content.decode()
    assert Client().get("/unit/").status_code == 302  # sign in first


def test_the_head_reminds_their_own_people_only(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    confirm_ack = opened_ack(notice, "gyg_1")
    confirm_acknowledgement(Actor(bureau.person("gyg_1")), confirm_ack.pk)
    head = bureau.person("gyg_head")
    unit = bureau.units["GYG"]

    answer = signed_in(head).post(f"/unit/{notice.pk}/{unit.pk}/remind/", follow=True)
    assert answer.status_code == 200
    assert "已提醒 工业股 3 人" in answer.content.decode()
    reminded = set(Reminder.objects.values_list("recipient__username", flat=True))
    assert reminded == {"gyg_head", "gyg_2", "gyg_3"}
    notified = set(Notification.objects.values_list("person__username", flat=True))
    assert {"gyg_2", "gyg_3"} <= notified
    reminders = Notification.objects.filter(kind=NotificationKind.REMINDER)
    assert not reminders.filter(person__username__startswith="zxfw").exists()
    assert Message.objects.filter(digest__recipient__username="gyg_2", channel="email").exists()
    event = AuditEvent.objects.get(action="notice.reminded")
    assert event.actor == head
    assert event.data["unit"] == "GYG"
    assert event.data["people"] == ["gyg_2", "gyg_3", "gyg_head"]
    assert ManualRemind.objects.get().unit == unit
    assert Acknowledgement.objects.get(notice=notice, person__username="gyg_2").reminders_sent == 1


def test_a_second_reminder_too_soon_is_refused_with_the_next_time(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    head = signed_in(bureau.person("gyg_head"))
    url = f"/unit/{notice.pk}/{bureau.units['GYG'].pk}/remind/"
    assert head.post(url).status_code == 303
    again = head.post(url)
    assert again.status_code == 429
    html = again.content.decode()
    assert "刚刚催办过" in html
    assert "下次可提醒时间" in html
    assert Reminder.objects.count() == 4
    # Another unit's head is not held up, nor is the clerk (their 催办 is per notice).
    zxfw = signed_in(bureau.person("zxfw_head"))
    assert zxfw.post(f"/unit/{notice.pk}/{bureau.units['ZXFW'].pk}/remind/").status_code == 303
    assert remind_notice(Actor(bureau.clerk), notice.pk).reminded == 8
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert head.post(url).status_code == 303


def test_after_the_clerks_reminder_the_head_waits_too(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    remind_notice(Actor(bureau.clerk), notice.pk)  # their people were just reminded
    head = signed_in(bureau.person("gyg_head"))
    url = f"/unit/{notice.pk}/{bureau.units['GYG'].pk}/remind/"
    assert "下次可提醒时间" in head.get("/unit/").content.decode()
    assert head.post(url).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert head.post(url).status_code == 303


def test_the_head_may_not_remind_another_unit_or_a_notice_not_sent_to_them(
    bureau: Bureau,
) -> None:
    notice = circulating_notice(bureau.clerk, units=("ZXFW",))
    head = signed_in(bureau.person("gyg_head"))
    assert head.post(f"/unit/{notice.pk}/{bureau.units['ZXFW'].pk}/remind/").status_code == 404
    assert head.post(f"/unit/{notice.pk}/{bureau.units['GYG'].pk}/remind/").status_code == 404
    assert head.get(f"/unit/{notice.pk}/{bureau.units['GYG'].pk}/remind/").status_code == 405
    staff = signed_in(bureau.person("zxfw_1"))
    assert staff.post(f"/unit/{notice.pk}/{bureau.units['ZXFW'].pk}/remind/").status_code == 404
    assert not Reminder.objects.exists()


def test_nobody_left_to_remind_is_a_409_beside_the_notice(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    for username in ("gyg_head", "gyg_1", "gyg_2", "gyg_3"):
        opened_ack(notice, username)
        confirm_acknowledgement(Actor(bureau.person(username)), ack_of(notice, username).pk)
    head = signed_in(bureau.person("gyg_head"))
    page = head.get("/unit/")
    assert "本机构的人员都已办理" in page.content.decode()
    answer = head.post(f"/unit/{notice.pk}/{bureau.units['GYG'].pk}/remind/")
    assert answer.status_code == 409


def add_unit_recipients(notice: Notice, count: int) -> None:
    round_ = notice.rounds.get(number=1)
    unit = ack_of(notice, "gyg_1").unit
    start = Person.objects.count()
    people = Person.objects.bulk_create(
        Person(username=f"bulk{start + i}", organisation_id=notice.organisation_id)
        for i in range(count)
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(
            notice=notice,
            person=person,
            unit=unit,
            round=round_,
            state=AckState.CONFIRMED if i % 3 == 0 else AckState.PENDING,
            confirmed_at=timezone.now() if i % 3 == 0 else None,
            due_at=timezone.now() - timedelta(days=1) if i % 2 else notice.due_at,
        )
        for i, person in enumerate(people)
    )


@pytest.mark.parametrize("rows", [10, 1000])
def test_queries_do_not_grow_with_the_rows(
    bureau: Bureau, rows: int, django_assert_num_queries: Any
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    circulating_notice_2 = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
    forward_notice(
        Actor(bureau.clerk), circulating_notice_2.pk, ForwardRequest(unit_codes=("GYG",))
    )
    add_unit_recipients(notice, rows)
    remind_notice(Actor(bureau.clerk), circulating_notice_2.pk)
    client = signed_in(bureau.person("gyg_head"))
    client.get("/unit/")
    with django_assert_num_queries(13):
        page = client.get("/unit/")
    assert page.content.decode().count("data-username=") == 4 + 4 + rows - (rows + 2) // 3
