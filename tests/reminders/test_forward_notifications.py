"""传阅通知 and 退回通知: a recipient hears of a notice when it is forwarded to them (in-app, email
per their preference, their unit's group robot), and the forwarding clerk hears at once when a
recipient returns it, with the reason."""

from typing import Any

import pytest
import time_machine

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement
from tests.builders import Bureau
from tests.reminders.builders import at, circulate
from workflows.models import (
    Channel,
    Message,
    Notification,
    NotificationPreference,
    WebhookChannel,
)
from workflows.services.acknowledging import return_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("announcements")]


def test_every_new_recipient_is_told_once(
    bureau: Bureau, api: Any, scheduled: list[list[int]], settings: Any
) -> None:
    settings.SITE_URL = "https://oa.example.cn"
    NotificationPreference.objects.create(person=bureau.person("gyg_2"), email=False)
    NotificationPreference.objects.create(person=bureau.person("gyg_3"), group_robot=False)
    robot = WebhookChannel.objects.create(
        organisation=bureau.org,
        unit=bureau.units["GYG"],
        name="工业股群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    )
    with time_machine.travel(at(2022, 9, 29, 10), tick=False):
        notice = circulate(bureau.clerk, 25, units=["GYG"], people=["bgs_1"], days=5)

    told = Notification.objects.filter(notice=notice).order_by("person__username")
    assert [n.person.username for n in told] == ["bgs_1", "gyg_1", "gyg_2", "gyg_3", "gyg_head"]
    assert {n.kind for n in told} == {"forwarded"}
    assert {n.link for n in told} == {f"/notices/{notice.pk}/"}
    first = told[0]
    assert "舞工信〔2022〕25号" in first.title
    assert "请阅知确认" in first.title
    assert "王收发（clerk）" in first.body
    assert "2022-10-11 17:30" in first.body  # 5 working days, 国庆 skipped
    assert f"https://oa.example.cn/notices/{notice.pk}/" in first.body

    emails = Message.objects.filter(
        channel=Channel.EMAIL, digest__window_key__startswith="forward:"
    )
    assert sorted(emails.values_list("address", flat=True)) == [
        "bgs_1@example.cn",
        "gyg_1@example.cn",
        "gyg_3@example.cn",
        "gyg_head@example.cn",
    ]  # fmt: skip  (gyg_2 turned email off)
    (to_robot,) = Message.objects.filter(webhook=robot)
    assert to_robot.address == f"robot:{robot.pk}"
    names = {bureau.person(u).display_name for u in ("gyg_1", "gyg_2", "gyg_head")}
    assert all(name in to_robot.body for name in names)
    assert bureau.person("gyg_3").display_name not in to_robot.body  # asked not to be named
    assert "及另外 1 人" in to_robot.body
    assert bureau.person("bgs_1").display_name not in to_robot.body  # not of 工业股
    assert sorted(id for ids in scheduled for id in ids) == sorted(
        [*emails.values_list("pk", flat=True), to_robot.pk]
    )

    # in the recipient's notifications, with the kind
    listing = api(bureau.person("gyg_1")).get("/api/v1/notifications/").json()
    (only,) = listing["results"]
    assert (only["kind"], only["kind_label"], only["notice"]) == (
        "forwarded",
        "传阅通知",
        notice.pk,
    )
    assert listing["unread_count"] == 1

    # 补发 to the same people tells nobody again; a new person is told
    before = Notification.objects.count()
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=["GYG"]))
    assert Notification.objects.count() == before
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(usernames=["bgs_2"]))
    assert Notification.objects.get(person__username="bgs_2").kind == "forwarded"


def test_the_forwarding_clerk_is_told_when_a_recipient_returns_it(
    bureau: Bureau, api: Any, scheduled: list[list[int]]
) -> None:
    notice = circulate(bureau.clerk, 26, units=["GYG"])
    scheduled.clear()
    ack = Acknowledgement.objects.get(notice=notice, person__username="gyg_1")
    answer = api(ack.person).post(
        f"/api/v1/acknowledgements/{ack.pk}/return/", {"reason": "误发，非本股业务"}, format="json"
    )
    assert answer.status_code == 200

    (told,) = Notification.objects.filter(person=bureau.clerk)
    assert told.kind == "returned"
    assert told.link == f"/notices/{notice.pk}/"
    assert told.notice_id == notice.pk
    assert "误发，非本股业务" in told.body
    assert bureau.person("gyg_1").display_name in told.title
    (email,) = Message.objects.filter(digest=told.digest)
    assert email.address == bureau.clerk.email
    assert scheduled == [[email.pk]]
    listing = api(bureau.clerk).get("/api/v1/notifications/").json()
    assert listing["results"][0]["kind"] == "returned"

    # a repeated return changes nothing and tells nobody again
    again = api(ack.person).post(
        f"/api/v1/acknowledgements/{ack.pk}/return/", {"reason": "误发"}, format="json"
    )
    assert again.status_code == 200
    assert Notification.objects.filter(person=bureau.clerk).count() == 1


def test_a_clerk_without_email_is_told_in_app_only(
    bureau: Bureau, scheduled: list[list[int]]
) -> None:
    NotificationPreference.objects.create(person=bureau.clerk, email=False)
    notice = circulate(bureau.clerk, 27, people=["gyg_1"])
    scheduled.clear()
    ack = Acknowledgement.objects.get(notice=notice, person__username="gyg_1")
    return_acknowledgement(Actor(ack.person), ack.pk, "误发")
    (told,) = Notification.objects.filter(person=bureau.clerk)
    assert told.kind == "returned"
    assert not Message.objects.filter(digest=told.digest).exists()
