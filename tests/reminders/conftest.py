"""Reminder test fixtures (the builders are in tests/reminders/builders.py): the outbox hand-over
to delivery recorded instead of queued (``scheduled``, tests/conftest.py), and the forward and
return notifications left out unless asked for."""

import pytest


@pytest.fixture(autouse=True)
def _outbox_recorded(scheduled: list[list[int]]) -> None:
    """Every test here records what is handed to delivery; ask for ``scheduled`` to read it."""


@pytest.fixture(autouse=True)
def _reminders_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count what the reminder sweep writes: the 传阅通知/退回通知 a forward or a
    return writes (``tests/reminders/test_forward_notifications.py``, which asks for
    ``announcements``) are left out of them."""
    if "announcements" not in request.fixturenames:
        monkeypatch.setattr("workflows.services.forwarding.announce_forward", lambda *a: 0)
        monkeypatch.setattr("workflows.services.acknowledging.announce_return", lambda *a: 0)


@pytest.fixture
def announcements() -> None:
    """Keep the forward and return notifications (see ``_reminders_only``)."""
