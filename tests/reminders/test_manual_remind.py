"""人工催办 through the API: recorded like any reminder, sent at once, rate-limited per notice."""

from typing import Any

import pytest
import time_machine

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, AuditEvent
from circulation.records.roles import CLERK
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.reminders.builders import at, circulate, confirm, race
from workflows.models import Digest, ManualRemind, Message, Notification, Reminder
from workflows.services.withdrawal import withdraw_notice

pytestmark = pytest.mark.django_db


def remind(client: Any, notice_id: int) -> Any:
    return client.post(f"/api/v1/notices/{notice_id}/remind/")


def test_remind_then_rate_limited_then_allowed_again(
    bureau: Bureau, api: Any, scheduled: list[list[int]]
) -> None:
    clerk = api(bureau.clerk)
    with time_machine.travel(at(2022, 10, 10, 9), tick=False) as traveller:
        notice = circulate(bureau.clerk, 90, units=["GYG"], days=3)
        confirm(notice.pk, "gyg_1")

        traveller.move_to(at(2022, 10, 10, 20))  # after hours: the clerk asked, it goes out
        first = remind(clerk, notice.pk)
        assert first.status_code == 200
        assert first.json() == {
            "reminded": 3,  # gyg_1 has confirmed
            "messages": 3,
            "next_allowed_at": "2022-10-10T20:30:00+08:00",
        }
        reminders = Reminder.objects.filter(notice=notice, kind="manual")
        assert sorted(r.recipient.username for r in reminders) == ["gyg_2", "gyg_3", "gyg_head"]
        manual = ManualRemind.objects.get()
        assert (manual.requested_by, manual.recipients) == (bureau.clerk, 3)
        assert {r.window_key for r in reminders} == {f"manual-{manual.pk}"}
        assert Digest.objects.filter(window_key=f"manual-{manual.pk}").count() == 3
        assert all(r.digest_id for r in reminders)
        assert len(scheduled) == 1
        assert len(scheduled[0]) == 3
        digest = Digest.objects.get(recipient__username="gyg_2")
        assert "收发员催办 reminder from the clerk" in digest.body
        assert notice.doc_number in digest.body

        traveller.move_to(at(2022, 10, 10, 20, 1))
        again = remind(clerk, notice.pk)
        assert again.status_code == 429
        assert again["Retry-After"] == "1740"
        assert again.json()["code"] == "remind_too_soon"
        assert again.json()["retry_after"] == 1740
        assert "29 分钟" in again.json()["detail"]

        traveller.move_to(at(2022, 10, 10, 20, 29, 30))
        assert remind(clerk, notice.pk)["Retry-After"] == "30"

        traveller.move_to(at(2022, 10, 10, 20, 30))
        assert remind(clerk, notice.pk).status_code == 200

    assert ManualRemind.objects.count() == 2
    assert Reminder.objects.filter(kind="manual").count() == 6
    assert Notification.objects.filter(person__username="gyg_2").count() == 2
    assert Message.objects.count() == 6
    counters = dict(
        Acknowledgement.objects.filter(notice=notice).values_list(
            "person__username", "reminders_sent"
        )
    )
    assert counters == {"gyg_head": 2, "gyg_1": 0, "gyg_2": 2, "gyg_3": 2}
    events = AuditEvent.objects.filter(notice=notice, action="notice.reminded")
    assert [(e.actor_username, e.data["manual"], e.data["recipients"]) for e in events] == [
        ("clerk", True, 3),
        ("clerk", True, 3),
    ]
    assert events[0].data["people"] == ["gyg_2", "gyg_3", "gyg_head"]


def test_who_may_remind(bureau: Bureau, api: Any) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False):
        notice = circulate(bureau.clerk, 91, units=["GYG"], days=3)
        staff = remind(api(bureau.person("gyg_1")), notice.pk)  # a recipient, not a clerk
        other_org = OrganisationFactory(name="舞阳县发展和改革委员会")
        stranger = PersonFactory(username="fgw_clerk", organisation=other_org, roles=[CLERK])
        elsewhere = remind(api(stranger), notice.pk)
        anonymous = remind(api(None), notice.pk)
        missing = remind(api(bureau.clerk), 999_999)

    assert staff.status_code == 403
    assert staff.json()["code"] == "permission_denied"
    assert elsewhere.status_code == 404
    assert anonymous.status_code in (401, 403)
    assert missing.status_code == 404
    assert not Reminder.objects.exists()
    assert not ManualRemind.objects.exists()


def test_only_a_circulating_notice_can_be_reminded(bureau: Bureau, api: Any) -> None:
    with time_machine.travel(at(2022, 10, 10, 9), tick=False):
        notice = circulate(bureau.clerk, 92, units=["GYG"], days=3)
        withdraw_notice(Actor(bureau.clerk), notice.pk, "发错范围")
        answer = remind(api(bureau.clerk), notice.pk)

    assert answer.status_code == 409
    assert answer.json()["code"] == "invalid_state"
    assert "传阅中" in answer.json()["detail"]
    assert not Reminder.objects.exists()
    assert not Digest.objects.exists()
    assert not AuditEvent.objects.filter(action="notice.reminded").exists()


@pytest.mark.django_db(transaction=True)
def test_two_clerks_reminding_at_once_send_one_reminder(bureau: Bureau, api: Any) -> None:
    second_clerk = PersonFactory(username="clerk2", organisation=bureau.org, roles=[CLERK])
    with time_machine.travel(at(2022, 10, 10, 9), tick=False):
        notice = circulate(bureau.clerk, 93, units=["GYG"], days=3)
        clients = [api(bureau.clerk), api(second_clerk)]
        answers = race([lambda c=c: remind(c, notice.pk) for c in clients])

    assert sorted(a.status_code for a in answers) == [200, 429]
    assert ManualRemind.objects.count() == 1
    assert Reminder.objects.filter(kind="manual").count() == 4
