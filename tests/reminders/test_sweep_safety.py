"""Running the sweep twice, one after the other or at the same moment with real transactions,
decides, digests and sends nothing twice; every decision is in the notice's history."""

from collections import Counter
from typing import Any

import pytest
import time_machine

from circulation.records.audit import verify_chain
from circulation.records.models import Acknowledgement, AuditEvent
from tests.builders import Bureau
from tests.reminders.builders import at, circulate, race
from workflows.models import Digest, Message, Notification, Reminder, SweepRun
from workflows.services import sweep
from workflows.services.sweep import SweepResult, run_reminder_sweep


def overdue_bureau(bureau: Bureau) -> list[int]:
    """16 acknowledgements of 9 people on three notices, due 2022-10-11 17:30."""
    with time_machine.travel(at(2022, 10, 10, 9), tick=False):
        return [
            circulate(bureau.clerk, 70, units=["GYG", "ZXFW"], days=1).pk,
            circulate(bureau.clerk, 71, units=["GYG"], people=["bgs_1"], days=1).pk,
            circulate(bureau.clerk, 72, people=["gyg_1", "zxfw_2", "bgs_1"], days=1).pk,
        ]


def snapshot() -> dict[str, Any]:
    return {
        "reminders": sorted(
            Reminder.objects.values_list("acknowledgement_id", "kind", "window_key")
        ),
        "digests": Digest.objects.count(),
        "messages": Message.objects.count(),
        "notifications": Notification.objects.count(),
        "events": AuditEvent.objects.count(),
        "counters": sorted(
            Acknowledgement.objects.values_list("pk", "reminders_sent", "escalations")
        ),
    }


def assert_one_digest_per_person_and_window() -> None:
    per_window = Counter(Digest.objects.values_list("recipient_id", "window_key"))
    assert per_window
    assert max(per_window.values()) == 1
    assert not Reminder.objects.filter(digest__isnull=True).exists()


@pytest.mark.django_db
def test_a_second_sweep_changes_nothing(bureau: Bureau, scheduled: list[list[int]]) -> None:
    overdue_bureau(bureau)
    with time_machine.travel(at(2022, 10, 12, 9), tick=False):
        first = run_reminder_sweep(as_of=at(2022, 10, 12, 9))
        after_first = snapshot()
        second = run_reminder_sweep(as_of=at(2022, 10, 12, 9))

    assert first.reminders == 16
    assert first.by_kind == {"overdue": 16}
    assert first.digests == 9  # one per person
    assert (second.claimed, second.reminders, second.digests, second.messages) == (16, 0, 0, 0)
    assert snapshot() == after_first
    assert len(scheduled) == 1
    assert_one_digest_per_person_and_window()
    assert verify_chain().ok
    assert SweepRun.objects.filter(kind="reminders", finished_at__isnull=False).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_share_the_work_without_duplicates(
    bureau: Bureau, monkeypatch: pytest.MonkeyPatch
) -> None:
    overdue_bureau(bureau)
    # Small batches, so that the two sweeps claim alternate batches and each person's
    # acknowledgements are split between them: their digest must still be one.
    monkeypatch.setattr(sweep, "CLAIM_BATCH", 2)
    with time_machine.travel(at(2022, 10, 12, 9), tick=False) as traveller:
        run_reminder_sweep(as_of=at(2022, 10, 12, 9))
        traveller.move_to(at(2022, 10, 13, 9))
        results = race([lambda: run_reminder_sweep(as_of=at(2022, 10, 13, 9))] * 2)

    assert all(isinstance(result, SweepResult) for result in results), results
    # The second overdue day: 16 overdue reminders and the unit heads hear about 13 of them
    # (not about gyg_head's and zxfw_head's own: nobody above them in their unit).
    assert sum(r.reminders for r in results) == 16 + 13
    assert sorted(Counter(Reminder.objects.values_list("kind", flat=True)).items()) == [
        ("escalation_head", 13),
        ("overdue", 32),
    ]
    assert_one_digest_per_person_and_window()
    gyg_1 = Digest.objects.get(recipient__username="gyg_1", window_key="2022-10-13#1")
    assert all(f"〔2022〕{n}号" in gyg_1.body for n in (70, 71, 72))
    assert sum(r.digests for r in results) == 10  # the 9 recipients and bgs_head
    assert Message.objects.count() == Digest.objects.count() == 19  # emails only, no robots
    assert verify_chain().ok
