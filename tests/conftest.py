"""Shared fixtures: a small bureau (clerk, archivist, three units of a head and three staff),
API clients authenticated with real tokens, and the sample notice's registration payload (built
by :mod:`tests.builders`)."""

from collections.abc import Callable
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from circulation.records.models import Person
from circulation.records.roles import STAFF
from tests.builders import SAMPLE, Bureau, build_bureau
from tests.factories import PersonFactory

__all__ = ["SAMPLE", "Bureau", "build_bureau"]  # re-exported for tests that import them from here


@pytest.fixture
def bureau(db: Any) -> Bureau:
    return build_bureau()


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
