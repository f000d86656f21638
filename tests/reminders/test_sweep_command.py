"""manage.py sweep_reminders: a dry run reports what a real run then does; a summary either way."""

from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.builders import Bureau
from tests.reminders.builders import at, circulate
from workflows.models import Digest, Message, Reminder, SweepRun

pytestmark = pytest.mark.django_db


def sweep_command(*args: str) -> str:
    out = StringIO()
    call_command("sweep_reminders", *args, stdout=out)
    return out.getvalue()


def test_dry_run_writes_nothing_and_predicts_the_real_run(bureau: Bureau) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        circulate(bureau.clerk, 120, units=["GYG"], days=1)
        circulate(bureau.clerk, 121, people=["bgs_1"], days=2)
        traveller.move_to(at(2022, 10, 13, 9, 5))
        dry = sweep_command("--dry-run", "--as-of", "2022-10-12T09:00")
        assert not Reminder.objects.exists()
        assert not SweepRun.objects.exists()
        real = sweep_command("--as-of", "2022-10-12T09:00")

    assert "Reminder sweep as of 2022-10-12 09:00" in dry
    assert "dry run, nothing written" in dry
    assert "would create: 5 (due_today 1, overdue 4)" in dry
    assert "digests: 5 人 people would get one" in dry
    assert "created: 5 (due_today 1, overdue 4)" in real
    assert "digests: 5; 待发消息 outbox messages: 5" in real
    assert Reminder.objects.count() == 5
    assert Digest.objects.count() == Message.objects.count() == 5
    run = SweepRun.objects.get()
    assert f"SweepRun #{run.pk}" in real
    assert (run.claimed, run.reminders, run.digests) == (5, 5, 5)


def test_skipped_and_bad_input(bureau: Bureau) -> None:
    holiday = sweep_command("--as-of", "2022-10-03T10:00+08:00")
    assert "跳过 skipped: 非工作日 / not a working day (2022-10-03)" in holiday
    evening = sweep_command("--dry-run", "--as-of", "2022-10-12T20:00")
    assert "outside office hours" in evening
    with pytest.raises(CommandError, match="Not an ISO date"):
        sweep_command("--as-of", "yesterday")
