"""Every reminder and escalation decided by the sweep is an audit event on the notice's history,
recorded by the system (no actor), with the people it went to."""

from typing import Any

import pytest
import time_machine

from tests.builders import Bureau
from tests.reminders.builders import at, circulate
from workflows.services.sweep import run_reminder_sweep

pytestmark = pytest.mark.django_db


def test_reminders_and_escalations_are_in_the_history(bureau: Bureau, api: Any) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 80, units=["GYG"], days=1)
        for day in (11, 12, 13):
            traveller.move_to(at(2022, 10, day, 9))
            run_reminder_sweep(as_of=at(2022, 10, day, 9))
            run_reminder_sweep(as_of=at(2022, 10, day, 9))  # a repeat adds no event

    answer = api(bureau.clerk).get(f"/api/v1/notices/{notice.pk}/history/")
    assert answer.status_code == 200
    events = [
        e
        for e in answer.json()["results"]
        if e["action"].startswith(("notice.remind", "notice.escal"))
    ]
    everyone = ["gyg_1", "gyg_2", "gyg_3", "gyg_head"]
    assert [(e["action"], e["actor"], e["data"]) for e in events] == [
        ("notice.reminded", "", {"due_today": everyone}),
        ("notice.reminded", "", {"overdue": everyone}),
        ("notice.reminded", "", {"overdue": everyone}),
        ("notice.escalated", "", {"escalation_head": {"gyg_head": ["gyg_1", "gyg_2", "gyg_3"]}}),
    ]
    assert {e["object_type"] for e in events} == {"records.notice"}
    assert all(e["prev_hash"] and e["hash"] for e in events)
    verify = api(bureau.archivist).get("/api/v1/audit/verify/")
    assert verify.json()["ok"] is True
