"""``REMINDER_SWEEP_WORKERS``: a sweep whose claim and digest batches run on several connections
writes exactly what a sweep on one connection writes, and a failure in one worker thread fails
the sweep, leaving only the batches that committed."""

import json
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from circulation.records.audit import verify_chain
from circulation.records.models import Acknowledgement, AuditEvent, Person
from tests.builders import Bureau, build_bureau
from tests.reminders.builders import at
from tests.reminders.test_sweep_safety import overdue_bureau
from workflows.models import Digest, Message, Notification, Reminder, SweepRun
from workflows.reminders import digests, parallel
from workflows.reminders.claims import Claimed
from workflows.services import sweep
from workflows.services import sweep_batch as batch
from workflows.services.sweep import run_reminder_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def fresh_bureau() -> Bureau:
    """An empty database (ids from 1 again) with the small bureau of ``tests.builders``, every
    display name fixed, so that two builds are the same row for row."""
    call_command("flush", interactive=False, verbosity=0)
    bureau = build_bureau(with_archivist=False)
    Person.objects.exclude(pk=bureau.clerk.pk).update(display_name=F("username"))
    bureau.clerk.refresh_from_db()
    return bureau


def rows(queryset: Any, *fields: str) -> list[tuple[Any, ...]]:
    """The rows' values, sorted (``None`` and JSON too)."""
    return sorted(
        tuple(json.dumps(v, sort_keys=True, ensure_ascii=False) for v in row)
        for row in queryset.values_list(*fields)
    )


def audit_facts() -> list[tuple[Any, ...]]:
    """The audit trail, fact by fact: a batch writes one ``notice.reminded`` (and
    ``notice.escalated``) event per notice it touched, so how the acknowledgements were cut into
    batches decides how a sweep's names are spread over events, not which names are recorded."""
    facts: list[tuple[Any, ...]] = []
    for action, notice_id, actor, data in AuditEvent.objects.values_list(
        "action", "notice_id", "actor_username", "data"
    ):
        if action == "notice.reminded":
            facts += [(action, notice_id, kind, n) for kind, names in data.items() for n in names]
        elif action == "notice.escalated":
            facts += [
                (action, notice_id, kind, to, n)
                for kind, targets in data.items()
                for to, names in targets.items()
                for n in names
            ]
        else:
            facts.append((action, notice_id, actor, json.dumps(data, sort_keys=True)))
    return sorted(facts, key=repr)


def everything() -> dict[str, Any]:
    """What the sweeps wrote, row for row (without timestamps and the audit chain's order)."""
    return {
        "reminders": rows(
            Reminder.objects,
            "acknowledgement_id",
            "kind",
            "window_key",
            "recipient_id",
            "digest__recipient_id",
        ),
        "digests": rows(Digest.objects, "recipient_id", "window_key", "title", "body"),
        "messages": rows(
            Message.objects,
            "digest__recipient_id",
            "digest__window_key",
            "channel",
            "address",
            "subject",
            "body",
        ),
        "notifications": rows(
            Notification.objects, "person_id", "notice_id", "title", "body", "link"
        ),
        "events": audit_facts(),
        "counters": rows(Acknowledgement.objects, "pk", "reminders_sent", "escalations"),
    }


def two_days_swept(workers: int, settings: Any, scheduled: list[list[int]]) -> dict[str, Any]:
    """Build the overdue bureau, sweep the first and the second overdue day with ``workers``."""
    settings.REMINDER_SWEEP_WORKERS = workers
    overdue_bureau(fresh_bureau())
    scheduled.clear()
    results = []
    with time_machine.travel(at(2022, 10, 12, 9), tick=False) as traveller:
        results.append(run_reminder_sweep(as_of=at(2022, 10, 12, 9)))
        traveller.move_to(at(2022, 10, 13, 9))
        results.append(run_reminder_sweep(as_of=at(2022, 10, 13, 9)))
    assert verify_chain().ok
    assert not SweepRun.objects.exclude(error="").exists()
    # Every message handed to delivery once, whichever connection wrote it.
    handed = Counter(pk for ids in scheduled for pk in ids)
    assert set(handed.values()) == {1}
    assert set(handed) == set(Message.objects.values_list("pk", flat=True))
    return {
        "results": [
            (r.claimed, r.batches, r.reminders, dict(r.by_kind), r.digests, r.messages)
            for r in results
        ],
        "rows": everything(),
    }


def test_several_workers_write_what_one_writes(
    settings: Any, scheduled: list[list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches: each worker claims several batches and digests several batches of people.
    monkeypatch.setattr(sweep, "CLAIM_BATCH", 3)
    monkeypatch.setattr(digests, "PERSON_BATCH", 2)
    one = two_days_swept(1, settings, scheduled)
    two = two_days_swept(2, settings, scheduled)
    three = two_days_swept(3, settings, scheduled)

    assert one["rows"]["reminders"]  # the comparison compares something
    assert len(one["rows"]["digests"]) == 9 + 10  # day one, then day two with bgs_head
    for rows in ("reminders", "digests", "messages", "notifications", "events", "counters"):
        assert two["rows"][rows] == one["rows"][rows], rows
        assert three["rows"][rows] == one["rows"][rows], rows
    # The same counts, except that each worker claims its own batches (and their last, short one).
    strip = [(c, rem, kinds, d, m) for c, _, rem, kinds, d, m in one["results"]]
    assert [(c, rem, kinds, d, m) for c, _, rem, kinds, d, m in two["results"]] == strip
    assert [(c, rem, kinds, d, m) for c, _, rem, kinds, d, m in three["results"]] == strip


def test_a_failing_worker_fails_the_sweep_and_keeps_only_committed_batches(
    bureau: Bureau, settings: Any, scheduled: list[list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REMINDER_SWEEP_WORKERS = 2
    monkeypatch.setattr(sweep, "CLAIM_BATCH", 2)
    overdue_bureau(bureau)
    audit_batch = batch.audit_batch

    def failing_for_odd_ids(acks: list[Claimed], created: list[batch.Created]) -> None:
        audit_batch(acks, created)  # written, then rolled back with its batch
        if any(ack.pk % 2 for ack in acks):  # the second worker's share
            raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "audit_batch", failing_for_odd_ids)
    with (
        time_machine.travel(at(2022, 10, 12, 9), tick=False),
        pytest.raises(RuntimeError, match="disk full"),
    ):
        run_reminder_sweep(as_of=at(2022, 10, 12, 9))

    run = SweepRun.objects.get()
    assert run.error == "RuntimeError: disk full"
    assert run.finished_at is not None
    # Only the first worker's committed batches: whole (reminder, counter, audit) and even ids.
    reminded = list(Reminder.objects.values_list("acknowledgement_id", flat=True))
    assert all(pk % 2 == 0 for pk in reminded)
    assert len(reminded) == len(set(reminded)) == run.reminders == run.claimed
    assert sorted(
        Acknowledgement.objects.filter(reminders_sent__gt=0).values_list("pk", flat=True)
    ) == sorted(reminded)
    named = sum(
        len(data.get("overdue", []))
        for data in AuditEvent.objects.filter(action="notice.reminded").values_list(
            "data", flat=True
        )
    )
    assert named == len(reminded)
    assert verify_chain().ok
    # The digest phase never started: nothing is sent about half a sweep.
    assert not Digest.objects.exists()
    assert not Message.objects.exists()
    assert scheduled == []

    # The next sweep (the fault gone) does the rest, once.
    monkeypatch.setattr(batch, "audit_batch", audit_batch)
    with time_machine.travel(at(2022, 10, 12, 9), tick=False):
        result = run_reminder_sweep(as_of=at(2022, 10, 12, 9))
    assert result.reminders == 16 - len(reminded)
    assert Reminder.objects.count() == 16
    assert Digest.objects.count() == 9
    assert verify_chain().ok


def test_one_connection_inside_a_transaction(settings: Any) -> None:
    """Other connections would not see the caller's uncommitted rows: one worker then."""
    from django.db import transaction

    settings.REMINDER_SWEEP_WORKERS = 3
    assert parallel.configured_workers() == 3
    with transaction.atomic():
        assert parallel.configured_workers() == 1
    settings.REMINDER_SWEEP_WORKERS = 0
    assert parallel.configured_workers() == 1
