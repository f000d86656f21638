"""Fixtures for the delivery tests: SMTP and webhook servers on loopback, the Celery app on the
real Redis with a queue of its own, an in-process worker, and outbox rows written directly (the
builders they use are in tests/delivery/builders.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from circulation.celery import app as celery_app
from circulation.records.models import Person
from tests.delivery.builders import BODY, NOTICE_NO, REDIS_URL, MakeMessage, running_worker
from tests.delivery.servers import (
    BROKER_SETTINGS,
    MailCollector,
    WebhookServer,
    free_port,
    purge_redis_queue,
    start_webhook_server,
    use_broker,
)
from tests.factories import PersonFactory
from workflows.models import Channel, Digest, Message, WebhookChannel, WebhookKind


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailCollector]:
    """An SMTP server on loopback that Django's SMTP backend sends to."""
    collector = MailCollector(port=free_port())
    controller = Controller(collector, hostname="127.0.0.1", port=collector.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 30
    settings.DEFAULT_FROM_EMAIL = "circulation@wuyang.example.cn"
    try:
        yield collector
    finally:
        collector.release.set()
        controller.stop()


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    state, httpd, thread = start_webhook_server()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def redis_broker() -> Iterator[tuple[str, str]]:
    """The Celery app on the real Redis, with a queue no other test run consumes."""
    queue = f"test-delivery-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    saved = {key: celery_app.conf[key] for key in BROKER_SETTINGS}
    use_broker(celery_app, REDIS_URL, queue, {"visibility_timeout": 3600})
    try:
        yield REDIS_URL, queue
    finally:
        use_broker(
            celery_app,
            saved["broker_url"],
            saved["task_default_queue"],
            saved["broker_transport_options"],
        )
        purge_redis_queue(REDIS_URL, queue)


@pytest.fixture
def worker(redis_broker: tuple[str, str]) -> Iterator[Any]:
    """A real Celery worker (in a thread of this process) on the test queue."""
    with running_worker() as running:
        yield running


@pytest.fixture
def recipient(db: Any) -> Person:
    return PersonFactory(username=f"r{uuid.uuid4().hex[:6]}", display_name="张阅知")


@pytest.fixture
def make_message(recipient: Person) -> MakeMessage:
    """An outbox message as the reminder sweep writes it (digest + message, status pending)."""

    def make(
        channel: str = Channel.EMAIL,
        *,
        address: str | None = None,
        webhook: WebhookChannel | None = None,
        person: Person | None = None,
        subject: str = f"【催办】{NOTICE_NO} 待阅知确认",
        body: str = BODY,
    ) -> Message:
        person = person or recipient
        digest = Digest.objects.create(
            recipient=person,
            window_key=f"test-{uuid.uuid4().hex[:12]}",
            created_at=timezone.now(),
            title=subject,
            body=body,
        )
        return Message.objects.create(
            digest=digest,
            channel=channel,
            address=address or (f"robot:{webhook.pk}" if webhook else person.email),
            webhook=webhook,
            subject=subject,
            body=body,
        )

    return make


@pytest.fixture
def make_robot(recipient: Person) -> Callable[..., WebhookChannel]:
    def make(kind: str, url: str, secret: str = "") -> WebhookChannel:
        assert recipient.organisation is not None
        return WebhookChannel.objects.create(
            organisation=recipient.organisation,
            name=f"{WebhookKind(kind).label}测试群",
            kind=kind,
            url=url,
            secret=secret,
        )

    return make


@pytest.fixture(autouse=True)
def _reminders_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests follow reminder digests through delivery; the 传阅通知/退回通知 written by a
    forward or a return (tests/reminders/test_forward_notifications.py) are left out."""
    monkeypatch.setattr("workflows.services.forwarding.announce_forward", lambda *a: 0)
    monkeypatch.setattr("workflows.services.acknowledging.announce_return", lambda *a: 0)
