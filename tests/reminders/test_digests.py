"""One digest per person per window, with its in-app notification, email and group-robot
messages, handed to delivery in the same transaction."""

import pytest
import time_machine

from circulation.records.models import Person
from tests.builders import Bureau
from tests.reminders.builders import at, circulate, confirm
from workflows.models import (
    Digest,
    Message,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderPolicy,
    WebhookChannel,
)
from workflows.services.sweep import run_reminder_sweep

pytestmark = pytest.mark.django_db


def test_seven_overdue_notices_make_one_message(bureau: Bureau, scheduled: list[list[int]]) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notices = [circulate(bureau.clerk, 40 + n, people=["gyg_1"], days=1) for n in range(7)]
        traveller.move_to(at(2022, 10, 12, 9))
        result = run_reminder_sweep(as_of=at(2022, 10, 12, 9))

    assert result.reminders == 7
    digest = Digest.objects.get()
    assert digest.recipient.username == "gyg_1"
    assert digest.window_key == "2022-10-12#1"
    assert digest.title == "【催办】您有 7 件收文待阅知确认 / 7 notices await your confirmation"
    for notice in notices:
        assert notice.doc_number in digest.body
        assert notice.title in digest.body
        assert f"/notices/{notice.pk}/" in digest.body
    assert digest.body.count("2022-10-11 17:30（已逾期 overdue）") == 7
    assert digest.body.count("状态 State：待阅 not opened") == 7
    assert set(Reminder.objects.values_list("digest", flat=True)) == {digest.pk}

    email = Message.objects.get()
    assert (email.digest, email.channel, email.address) == (digest, "email", "gyg_1@example.cn")
    assert (email.subject, email.body, email.status) == (digest.title, digest.body, "pending")
    notification = Notification.objects.get()
    assert (notification.person.username, notification.digest) == ("gyg_1", digest)
    assert notification.title == digest.title
    assert notification.read_at is None
    assert scheduled == [[email.pk]]


def test_email_follows_the_address_and_the_preference(bureau: Bureau) -> None:
    NotificationPreference.objects.create(person=bureau.person("gyg_2"), email=False)
    Person.objects.filter(username="gyg_3").update(email="")
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 50, people=["gyg_1", "gyg_2", "gyg_3"], days=1)
        traveller.move_to(at(2022, 10, 11, 9))
        run_reminder_sweep(as_of=at(2022, 10, 11, 9))

    assert Digest.objects.count() == Notification.objects.count() == 3
    assert list(Message.objects.values_list("address", flat=True)) == ["gyg_1@example.cn"]
    notification = Notification.objects.get(person__username="gyg_2")
    assert notification.notice == notice
    assert notification.link == f"/notices/{notice.pk}/"
    assert "今日到期 due today" in notification.body


def test_escalations_reach_the_unit_robot_and_the_organisation_robot(
    bureau: Bureau, scheduled: list[list[int]]
) -> None:
    ReminderPolicy.objects.create(
        organisation=bureau.org, escalate_to_head_after=1, escalate_to_clerk_after=1
    )
    unit_robot = WebhookChannel.objects.create(
        organisation=bureau.org,
        unit=bureau.units["GYG"],
        name="工业股群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=gyg",
    )
    org_robot = WebhookChannel.objects.create(
        organisation=bureau.org,
        name="局机关群",
        kind="dingtalk",
        url="https://oapi.dingtalk.com/robot/send?access_token=org",
    )
    WebhookChannel.objects.create(  # another unit's robot and a disabled one hear nothing
        organisation=bureau.org,
        unit=bureau.units["BGS"],
        name="办公室群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=bgs",
    )
    WebhookChannel.objects.create(
        organisation=bureau.org,
        unit=bureau.units["GYG"],
        name="旧群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=old",
        is_active=False,
    )
    NotificationPreference.objects.create(person=bureau.person("gyg_2"), group_robot=False)
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 60, people=["gyg_1", "gyg_2"], days=1)
        traveller.move_to(at(2022, 10, 12, 9))
        run_reminder_sweep(as_of=at(2022, 10, 12, 9))

    head_digest = Digest.objects.get(recipient__username="gyg_head")
    assert head_digest.title.startswith("【催办升级】有 2 人逾期未确认 1 件收文")
    assert "gyg_1" in head_digest.body
    assert "gyg_2" in head_digest.body
    robot_messages = Message.objects.exclude(channel="email")
    assert {
        (m.webhook, m.channel, m.address, m.digest.recipient.username) for m in robot_messages
    } == {
        (unit_robot, "wecom", f"robot:{unit_robot.pk}", "gyg_head"),
        (org_robot, "dingtalk", f"robot:{org_robot.pk}", "clerk"),
    }
    for message in robot_messages:
        assert notice.doc_number in message.body
        assert "2022-10-11 17:30" in message.body
        assert f"/notices/{notice.pk}/" in message.body
        assert "（gyg_1）" in message.body
        assert "gyg_2" not in message.body  # asked not to be named in group messages
        assert "及另外 1 人" in message.body
        assert message.subject.startswith("【催办提醒】2 人逾期未确认 1 件收文")
    # Everything written was handed to delivery once.
    handed = sorted(pk for call in scheduled for pk in call)
    assert handed == sorted(Message.objects.values_list("pk", flat=True))


def test_a_second_reminder_in_the_window_waits_and_is_dropped_once_confirmed(
    bureau: Bureau,
) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        circulate(bureau.clerk, 130, people=["gyg_1", "gyg_2"], days=1)
        traveller.move_to(at(2022, 10, 12, 9))
        run_reminder_sweep(as_of=at(2022, 10, 12, 9))  # window 08:30–10:30: one digest each
        traveller.move_to(at(2022, 10, 12, 9, 30))
        later = circulate(bureau.clerk, 131, people=["gyg_1", "gyg_2"], due_at=at(2022, 10, 12, 10))
        traveller.move_to(at(2022, 10, 12, 10, 15))
        same_window = run_reminder_sweep(as_of=at(2022, 10, 12, 10, 15))
        confirm(later.pk, "gyg_1")
        traveller.move_to(at(2022, 10, 12, 10, 45))
        next_window = run_reminder_sweep(as_of=at(2022, 10, 12, 10, 45))

    assert (same_window.reminders, same_window.digests, same_window.deferred_people) == (2, 0, 2)
    assert next_window.digests == 1
    digests = Digest.objects.filter(window_key="2022-10-12#2")
    assert [d.recipient.username for d in digests] == ["gyg_2"]
    assert later.doc_number in digests[0].body
    # gyg_1 confirmed before the reminder went out: it is never sent.
    dropped = Reminder.objects.get(notice=later, recipient__username="gyg_1")
    assert dropped.digest is None
    assert Digest.objects.filter(recipient__username="gyg_1").count() == 1
