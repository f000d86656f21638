"""企业微信 / 钉钉 group robots, posted to a real HTTP server on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from circulation.records.models import Person
from tests.delivery.builders import DEADLINE, LINK, NOTICE_NO, NOTICE_TITLE, MakeMessage
from tests.delivery.servers import WebhookServer
from workflows.delivery.dispatcher import Outcome, deliver
from workflows.delivery.webhooks import dingtalk_sign, signed_url
from workflows.models import (
    Channel,
    DeliveryAttempt,
    MessageStatus,
    ReminderPolicy,
    WebhookChannel,
    WebhookKind,
)

pytestmark = pytest.mark.django_db

MakeRobot = Callable[..., WebhookChannel]
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


def _assert_notice_in(text: str) -> None:
    for part in (NOTICE_NO, NOTICE_TITLE, DEADLINE, LINK):
        assert part in text


def test_wecom_markdown_message(
    webhook_server: WebhookServer, make_message: MakeMessage, make_robot: MakeRobot
) -> None:
    robot = make_robot(WebhookKind.WECOM, webhook_server.url("/cgi-bin/webhook/send?key=k-123"))
    message = make_message(Channel.WECOM, webhook=robot)

    assert deliver(message.pk) == Outcome.SENT

    [hit] = webhook_server.hits
    assert hit.path == "/cgi-bin/webhook/send"
    assert hit.query == {"key": "k-123"}
    assert set(hit.body) == {"msgtype", "markdown"}
    assert hit.body["msgtype"] == "markdown"
    assert set(hit.body["markdown"]) == {"content"}
    content = hit.body["markdown"]["content"]
    assert message.subject in content
    _assert_notice_in(content)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_dingtalk_markdown_message_signed_with_the_secret(
    webhook_server: WebhookServer, make_message: MakeMessage, make_robot: MakeRobot
) -> None:
    robot = make_robot(
        WebhookKind.DINGTALK, webhook_server.url("/robot/send?access_token=t0ken"), secret=SECRET
    )
    message = make_message(Channel.DINGTALK, webhook=robot)
    before_ms = int(time.time() * 1000)

    assert deliver(message.pk) == Outcome.SENT

    [hit] = webhook_server.hits
    assert hit.path == "/robot/send"
    assert set(hit.query) == {"access_token", "timestamp", "sign"}
    assert hit.query["access_token"] == "t0ken"
    timestamp = int(hit.query["timestamp"])
    assert timestamp >= before_ms
    # What DingTalk checks: base64(HMAC-SHA256(secret, "timestamp\nsecret")).
    expected = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(hit.query["sign"]) == expected
    assert hit.body == {
        "msgtype": "markdown",
        "markdown": {"title": message.subject, "text": hit.body["markdown"]["text"]},
    }
    _assert_notice_in(hit.body["markdown"]["text"])


def test_dingtalk_without_a_secret_is_not_signed(
    webhook_server: WebhookServer, make_message: MakeMessage, make_robot: MakeRobot
) -> None:
    robot = make_robot(WebhookKind.DINGTALK, webhook_server.url("/robot/send?access_token=x"))
    assert deliver(make_message(Channel.DINGTALK, webhook=robot).pk) == Outcome.SENT
    assert webhook_server.hits[0].query == {"access_token": "x"}


def test_signed_url_is_url_encoded() -> None:
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=a", SECRET, 1700000000000)
    sign = dingtalk_sign(SECRET, 1700000000000)
    assert (
        url
        == f"https://oapi.dingtalk.com/robot/send?access_token=a&timestamp=1700000000000&sign={sign}"
    )
    assert "+" not in sign
    assert "/" not in sign
    assert "=" not in sign


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param((500, "internal error"), "HTTP 500", id="http-500"),
        pytest.param(
            (200, json.dumps({"errcode": 310000, "errmsg": "sign not match"})),
            "errcode 310000: sign not match",
            id="errcode",
        ),
        pytest.param((200, "<html>proxy</html>"), "not JSON", id="not-json"),
    ],
)
def test_a_robot_error_is_a_failed_attempt_retried_with_backoff(
    webhook_server: WebhookServer,
    make_message: MakeMessage,
    make_robot: MakeRobot,
    answer: tuple[int, str],
    reason: str,
) -> None:
    robot = make_robot(WebhookKind.DINGTALK, webhook_server.url(), secret=SECRET)
    message = make_message(Channel.DINGTALK, webhook=robot)
    webhook_server.answers = [answer, answer]
    first = timezone.now()

    assert deliver(message.pk, now=first) == Outcome.RETRY
    message.refresh_from_db()
    assert message.status == MessageStatus.RETRY
    assert reason in message.last_error
    assert message.next_attempt_at == first + timedelta(seconds=60)

    second = message.next_attempt_at
    assert deliver(message.pk, now=second) == Outcome.RETRY
    message.refresh_from_db()
    assert message.next_attempt_at == second + timedelta(seconds=120)

    attempts = list(DeliveryAttempt.objects.filter(message=message))
    assert [a.ok for a in attempts] == [False, False]
    assert all(reason in a.error for a in attempts)
    assert [a.retry_at for a in attempts] == [second, message.next_attempt_at]

    assert deliver(message.pk, now=message.next_attempt_at) == Outcome.SENT
    assert len(webhook_server.hits) == 3


def test_after_max_attempts_the_message_fails_and_shows_in_the_admin(
    webhook_server: WebhookServer,
    make_message: MakeMessage,
    make_robot: MakeRobot,
    recipient: Person,
    client: Client,
) -> None:
    assert recipient.organisation is not None
    ReminderPolicy.objects.create(organisation=recipient.organisation, max_delivery_attempts=3)
    robot = make_robot(WebhookKind.WECOM, webhook_server.url())
    message = make_message(Channel.WECOM, webhook=robot, subject="【催办】永远失败的消息")
    delivered = make_message(Channel.WECOM, webhook=robot, subject="【催办】顺利送达的消息")
    assert deliver(delivered.pk) == Outcome.SENT
    webhook_server.answers = [(500, "down")] * 3
    now = timezone.now()

    outcomes = []
    for _ in range(3):
        outcomes.append(deliver(message.pk, now=now))
        message.refresh_from_db()
        now = message.next_attempt_at or now
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert message.next_attempt_at is None
    assert "HTTP 500" in message.last_error
    assert deliver(message.pk, now=now + timedelta(days=1)) == Outcome.SKIPPED

    admin = Person.objects.create_superuser("delivery-admin", "da@example.cn", "pw-123-xyz")
    client.force_login(admin)
    page = client.get("/admin/workflows/message/?status__exact=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert "永远失败的消息" in html
    assert "顺利送达的消息" not in html
    assert "HTTP 500" in html
    assert "t0ken" not in html  # the robot's URL (its token) is not shown
    change = client.get(f"/admin/workflows/message/{message.pk}/change/")
    assert change.status_code == 200
    assert change.content.decode().count("HTTP 500") >= 3  # the attempts inline

    # 立即重试: one more attempt at once.
    answer = client.post(
        "/admin/workflows/message/",
        {"action": "retry_selected", "_selected_action": [str(message.pk)]},
    )
    assert answer.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.RETRY
    assert deliver(message.pk) == Outcome.SENT


def test_a_disabled_robot_fails_at_once(
    webhook_server: WebhookServer, make_message: MakeMessage, make_robot: MakeRobot
) -> None:
    robot = make_robot(WebhookKind.WECOM, webhook_server.url())
    robot.is_active = False
    robot.save()
    message = make_message(Channel.WECOM, webhook=robot)
    assert deliver(message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert "robot disabled" in message.last_error
    assert webhook_server.hits == []


def test_an_unreachable_robot_is_a_failed_attempt(
    make_message: MakeMessage, make_robot: MakeRobot, settings: Any
) -> None:
    from tests.delivery.servers import free_port

    robot = make_robot(WebhookKind.WECOM, f"http://127.0.0.1:{free_port()}/send?key=k")
    message = make_message(Channel.WECOM, webhook=robot)
    assert deliver(message.pk) == Outcome.RETRY
    message.refresh_from_db()
    assert "webhook unreachable" in message.last_error
