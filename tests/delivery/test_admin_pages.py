"""The delivery admin pages load, show no robot tokens, and cost the same queries for 2 or 40
rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.records.models import Person
from tests.delivery.builders import MakeMessage
from workflows.delivery.dispatcher import deliver
from workflows.models import (
    Channel,
    DeliveryAttempt,
    Message,
    Notification,
    NotificationPreference,
    SweepRun,
    WebhookChannel,
    WebhookKind,
)
from workflows.tasks import dispatch_outbox

pytestmark = pytest.mark.django_db

PAGES = (
    "message",
    "deliveryattempt",
    "digest",
    "notification",
    "webhookchannel",
    "notificationpreference",
    "sweeprun",
    "reminderpolicy",
    "reminder",
    "manualremind",
)
TOKEN = "secret-robot-token"


def _rows(
    count: int,
    make_message: MakeMessage,
    make_robot: Callable[..., WebhookChannel],
    recipient: Person,
) -> None:
    robot = make_robot(WebhookKind.WECOM, f"http://127.0.0.1:9/send?key={TOKEN}")
    for index in range(count):
        email = make_message()
        # As the sweep writes it today: the robot's URL as the address.
        hook = make_message(Channel.WECOM, webhook=robot, address=robot.url + f"&n={index}")
        for message in (email, hook):
            DeliveryAttempt.objects.create(
                message=message, at=timezone.now(), ok=False, error="HTTP 500"
            )
        Notification.objects.create(
            person=recipient, title=f"通知{index}", created_at=timezone.now()
        )
        dispatch_outbox()
    NotificationPreference.objects.get_or_create(person=recipient)


def test_pages_load_without_showing_tokens(
    admin_client: Any,
    make_message: MakeMessage,
    make_robot: Callable[..., WebhookChannel],
    recipient: Person,
) -> None:
    _rows(2, make_message, make_robot, recipient)
    for page in PAGES:
        listing = admin_client.get(f"/admin/workflows/{page}/")
        assert listing.status_code == 200, page
        assert TOKEN not in listing.content.decode(), page
    hook = Message.objects.filter(channel=Channel.WECOM).first()
    assert hook is not None
    change = admin_client.get(f"/admin/workflows/message/{hook.pk}/change/")
    assert change.status_code == 200
    robot_page = admin_client.get(f"/admin/workflows/webhookchannel/{hook.webhook_id}/change/")
    assert robot_page.status_code == 200
    digest_page = admin_client.get(f"/admin/workflows/digest/{hook.digest_id}/change/")
    assert digest_page.status_code == 200
    assert TOKEN not in digest_page.content.decode()
    assert f"/admin/workflows/message/?digest__id__exact={hook.digest_id}" in (
        digest_page.content.decode()
    )
    listing = admin_client.get(f"/admin/workflows/message/?digest__id__exact={hook.digest_id}")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert SweepRun.objects.filter(kind="dispatch").exists()


def test_changelists_cost_the_same_queries_for_more_rows(
    admin_client: Any,
    make_message: MakeMessage,
    make_robot: Callable[..., WebhookChannel],
    recipient: Person,
    django_assert_max_num_queries: Any,
) -> None:
    _rows(2, make_message, make_robot, recipient)
    baseline = {}
    for page in PAGES:
        admin_client.get(f"/admin/workflows/{page}/")  # warm caches
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(f"/admin/workflows/{page}/")
        baseline[page] = len(queries)
    _rows(40, make_message, make_robot, recipient)
    for page in PAGES:
        with django_assert_max_num_queries(baseline[page]):
            assert admin_client.get(f"/admin/workflows/{page}/").status_code == 200


def test_retry_now_leaves_sent_messages_alone(
    admin_client: Any, make_message: MakeMessage, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = make_message()
    deliver(sent.pk)
    answer = admin_client.post(
        "/admin/workflows/message/",
        {"action": "retry_selected", "_selected_action": [str(sent.pk)]},
        follow=True,
    )
    assert answer.status_code == 200
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert "0 message(s)" in answer.content.decode()
