"""办结 when the last answer is in — and when the process answering it died before asking."""

from typing import Any

import pytest

from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Notice
from tests.builders import Bureau
from tests.helpers import circulating_notice, opened_ack
from workflows.services import acknowledging
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.sweep import run_reminder_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def answered_without_completion(bureau: Bureau, monkeypatch: Any) -> Notice:
    """The only recipient confirms, and the process dies right after the commit."""
    notice = circulating_notice(bureau.clerk, units=(), people=("gyg_1",))
    ack = opened_ack(notice, "gyg_1")
    with monkeypatch.context() as patch:
        patch.setattr(acknowledging, "complete_after_answer", lambda actor, notice_id: None)
        confirm_acknowledgement(Actor(ack.person), ack.pk, comment="已学习")
    assert Notice.objects.get(pk=notice.pk).state == "circulating"
    return notice


def test_the_sweep_completes_a_notice_whose_completion_check_was_lost(
    bureau: Bureau, monkeypatch: Any
) -> None:
    notice = answered_without_completion(bureau, monkeypatch)

    run_reminder_sweep()

    assert Notice.objects.get(pk=notice.pk).state == "completed"
    completed = AuditEvent.objects.filter(notice=notice, action="notice.completed")
    assert completed.count() == 1
    run_reminder_sweep()
    assert completed.count() == 1


def test_withdrawing_a_notice_everyone_answered_completes_it_instead(
    bureau: Bureau, monkeypatch: Any, api: Any
) -> None:
    notice = answered_without_completion(bureau, monkeypatch)

    response = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "发错范围"}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert "已办结" in str(body)
    assert "completed" in str(body)
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    assert not AuditEvent.objects.filter(notice=notice, action="notice.withdrawn").exists()


def test_the_last_confirm_answers_with_the_notice_already_completed(
    bureau: Bureau, api: Any
) -> None:
    notice = circulating_notice(bureau.clerk, units=(), people=("gyg_1", "gyg_2"))
    first, last = opened_ack(notice, "gyg_1"), opened_ack(notice, "gyg_2")
    assert (
        api(first.person).post(f"/api/v1/acknowledgements/{first.pk}/confirm/").status_code == 200
    )
    assert Notice.objects.get(pk=notice.pk).state == "circulating"

    assert api(last.person).post(f"/api/v1/acknowledgements/{last.pk}/confirm/").status_code == 200

    assert Notice.objects.get(pk=notice.pk).state == "completed"


def test_a_failing_completion_check_does_not_fail_the_confirmation(
    bureau: Bureau, monkeypatch: Any, api: Any
) -> None:
    """The answer is committed before the check: a database error there is logged, the
    recipient gets 200 with the confirmed acknowledgement, and the sweep completes the notice."""
    from django.db import OperationalError

    from workflows.services import completion

    notice = circulating_notice(bureau.clerk, units=(), people=("gyg_1",))
    ack = opened_ack(notice, "gyg_1")

    def broken(actor: Any, notice_id: int) -> bool:
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(completion, "complete_if_done", broken)
        response = api(ack.person).post(f"/api/v1/acknowledgements/{ack.pk}/confirm/")

    assert response.status_code == 200
    assert response.json()["state"] == "confirmed"
    assert Notice.objects.get(pk=notice.pk).state == "circulating"
    run_reminder_sweep()
    assert Notice.objects.get(pk=notice.pk).state == "completed"
