"""Shared fixtures: a small bureau (clerk, archivist, three units of a head and three staff) and
its leaders, API clients authenticated with real tokens, the sample notice's registration payload
(built by :mod:`tests.builders` and :mod:`tests.handling.builders`), and the outbox's hand-over to
delivery recorded. Tests import builders from those modules, never from a conftest."""

from collections.abc import Callable
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from circulation.records.models import Person
from circulation.records.roles import STAFF
from tests.builders import SAMPLE, Bureau, build_bureau
from tests.factories import PersonFactory
from tests.handling.builders import add_leaders


@pytest.fixture
def bureau(db: Any) -> Bureau:
    return build_bureau()


@pytest.fixture
def leaders(bureau: Bureau) -> Bureau:
    """The bureau with two leaders and the 办公室主任 (``tests.handling.builders.add_leaders``),
    for the 批办 tests and the reminder and record tests of 批办 notices. (tests/delegation has a
    ``leaders`` of its own: the two leaders of a 局领导班子.)"""
    return add_leaders(bureau)


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Message ids handed to delivery (``schedule_delivery``), one list per call, instead of
    queued (autouse in tests/reminders)."""
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "workflows.delivery.outbox.schedule_delivery", lambda ids: calls.append(list(ids))
    )
    return calls


@pytest.fixture
def api() -> Callable[[Person | None], APIClient]:
    """``api(user)`` → an APIClient that sends ``Authorization: Token …`` for that user."""

    def make(user: Person | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            _instance, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def sample_payload() -> dict[str, Any]:
    return dict(SAMPLE)


@pytest.fixture
def outsider(bureau: Bureau) -> Person:
    """Staff of the organisation who is not a recipient of anything."""
    return PersonFactory(username="outsider", organisation=bureau.org, roles=[STAFF])


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    """A fresh MEDIA_ROOT for the test: uploads, records and sealed files land here."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def _flush_as_replica() -> None:
    """The audit tables refuse TRUNCATE (records migration 0004), and Django's ``flush`` (the
    teardown of ``transaction=True`` tests, ``call_command("flush")``) truncates every table: in
    tests it runs in a replica session, where triggers do not fire (the test user is a
    superuser, as only a superuser may do this)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, *args: Any, **kwargs: Any) -> list[str]:
        statements = original(self, *args, **kwargs)
        if not statements:
            return statements
        return ["SET LOCAL session_replication_role = replica", *statements]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_as_replica()
