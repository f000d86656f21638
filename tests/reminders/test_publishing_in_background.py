"""The sweep publishes each digest batch's delivery tasks on one background thread while it
writes the next batch: in commit order, all before the sweep returns, a failure logged, not
raised."""

import logging
import threading

import pytest

from workflows.delivery import outbox


def recording(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[int]]]:
    seen: list[tuple[str, list[int]]] = []

    def enqueue(ids: list[int]) -> int:
        seen.append((threading.current_thread().name, list(ids)))
        return len(ids)

    monkeypatch.setattr(outbox, "enqueue", enqueue)
    return seen


def test_in_order_on_one_thread_and_done_when_the_block_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = recording(monkeypatch)
    # Nested blocks share the outer one's thread.
    with outbox.publishing_in_background(), outbox.publishing_in_background():
        for n in range(5):
            outbox._publish([n, n + 100])
    assert [ids for _, ids in seen] == [[n, n + 100] for n in range(5)]
    assert len({name for name, _ in seen}) == 1
    assert seen[0][0].startswith("outbox-publish")

    outbox._publish([7])  # outside the block: at once, on the caller's thread
    assert seen[-1] == (threading.current_thread().name, [7])


def test_a_failure_is_logged_and_the_rest_still_published(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seen = recording(monkeypatch)
    record = outbox.enqueue

    def flaky(ids: list[int]) -> int:
        if ids == [2]:
            raise RuntimeError("unexpected")
        return record(ids)

    monkeypatch.setattr(outbox, "enqueue", flaky)
    with (
        caplog.at_level(logging.ERROR, logger="workflows.delivery.outbox"),
        outbox.publishing_in_background(),
    ):
        for n in range(4):
            outbox._publish([n])
    assert [ids for _, ids in seen] == [[0], [1], [3]]
    assert "could not queue 1 outbox messages" in caplog.text
