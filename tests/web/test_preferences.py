"""通知设置: in-app always on, email on or off (it decides whether the next reminder is emailed),
the group-robot naming where a robot is configured, and the person's recent reminders."""

from typing import Any

import pytest
from django.test import Client

from circulation.records.actors import Actor
from circulation.records.models import Person
from tests.builders import Bureau
from tests.helpers import circulating_notice
from workflows.models import Message, NotificationPreference, WebhookChannel, WebhookKind
from workflows.services.reminding import remind_notice

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_email_turned_off_means_the_next_reminder_is_not_emailed(bureau: Bureau) -> None:
    person = bureau.person("gyg_1")
    client = signed_in(person)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="pref-inapp" checked disabled' in html  # in-app: always
    assert 'name="email"' in html
    assert 'checked id="id_email"' in html or 'id="id_email" checked' in html
    assert 'name="group_robot"' not in html  # no robot configured

    answer = client.post("/notifications/preferences/", {}, follow=True)  # email unticked
    assert answer.status_code == 200
    assert "通知设置已保存" in answer.content.decode()
    assert NotificationPreference.objects.get(person=person).email is False

    notice = circulating_notice(bureau.clerk, units=("GYG",))
    remind_notice(Actor(bureau.clerk), notice.pk)
    emailed = set(
        Message.objects.filter(channel="email", digest__title__contains="催办").values_list(
            "digest__recipient__username", flat=True
        )
    )
    assert "gyg_1" not in emailed
    assert "gyg_2" in emailed


def test_the_robot_choice_is_offered_where_a_robot_is_configured(bureau: Bureau) -> None:
    WebhookChannel.objects.create(
        organisation=bureau.org,
        unit=bureau.units["GYG"],
        name="工业股群",
        kind=WebhookKind.WECOM,
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
    )
    gyg = signed_in(bureau.person("gyg_1"))
    assert 'name="group_robot"' in gyg.get("/notifications/preferences/").content.decode()
    gyg.post("/notifications/preferences/", {"email": "on"})
    saved = NotificationPreference.objects.get(person__username="gyg_1")
    assert (saved.email, saved.group_robot) == (True, False)
    zxfw = signed_in(bureau.person("zxfw_1"))
    assert 'name="group_robot"' not in zxfw.get("/notifications/preferences/").content.decode()


def test_recent_reminders_are_listed_newest_first(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    remind_notice(Actor(bureau.clerk), notice.pk)
    html = signed_in(bureau.person("gyg_1")).get("/notifications/preferences/").content.decode()
    assert "人工催办" in html
    assert f'href="/notices/{notice.pk}/"' in html
    other = signed_in(bureau.person("zxfw_1")).get("/notifications/preferences/")
    assert "最近没有催办" in other.content.decode()


def test_sign_in_first_and_only_get_or_post(bureau: Bureau) -> None:
    assert Client().get("/notifications/preferences/").status_code == 302
    client = signed_in(bureau.person("gyg_1"))
    assert client.put("/notifications/preferences/").status_code == 405
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").content.decode()


@pytest.mark.parametrize("reminders", [1, 30])
def test_queries_do_not_grow_with_the_reminders(
    bureau: Bureau, reminders: int, django_assert_num_queries: Any
) -> None:
    from tests.helpers import registered_notice
    from workflows.services.forwarding import ForwardRequest, forward_notice

    for i in range(reminders):
        notice = registered_notice(bureau.clerk, f"舞工信〔2022〕{100 + i}号")
        forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=("GYG",)))
        remind_notice(Actor(bureau.clerk), notice.pk)
    client = signed_in(bureau.person("gyg_1"))
    client.get("/notifications/preferences/")
    with django_assert_num_queries(6):
        client.get("/notifications/preferences/")
