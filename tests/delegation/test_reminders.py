"""Reminders while a delegation is in force: the principal's digest as before, and an in-app copy
for the delegate pointing at their inbox; none once the delegation is over."""

from datetime import timedelta

import pytest
import time_machine

from tests.builders import Bureau
from tests.delegation.builders import appoint
from tests.reminders.builders import at, circulate
from workflows.models import Digest, Notification
from workflows.services.sweep import run_reminder_sweep

# the outbox's hand-over to delivery recorded, as in tests/reminders
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scheduled")]


@pytest.mark.parametrize("in_force", [True, False])
def test_the_delegate_gets_a_copy_of_the_principals_digest(bureau: Bureau, in_force: bool) -> None:
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        circulate(bureau.clerk, 40, people=["gyg_1"], days=1)
        starts = at(2022, 10, 11, 9) if in_force else at(2022, 10, 10, 9, 30)
        ends = starts + (timedelta(days=5) if in_force else timedelta(hours=1))
        traveller.move_to(at(2022, 10, 10, 9, 1))
        appoint(principal, delegate, starts_at=starts, ends_at=ends)
        traveller.move_to(at(2022, 10, 12, 9))
        run_reminder_sweep(as_of=at(2022, 10, 12, 9))

    # the reminder digests (the forwarding's own notice, before the delegation, is one too)
    digests = list(
        Digest.objects.filter(recipient=principal, window_key__startswith="2022-").order_by("id")
    )
    assert digests
    for digest in digests:
        assert Notification.objects.filter(person=principal, digest=digest).exists()
    copies = list(Notification.objects.filter(person=delegate).order_by("id"))
    if not in_force:
        assert copies == []
        return
    assert len(copies) == len(digests)
    for digest, copy in zip(digests, copies, strict=True):
        assert copy.title.startswith(f"【代 {principal.name}")
        assert digest.title in copy.title
        assert copy.link == "/inbox/"
        assert digest.body in copy.body
        assert copy.digest is None
