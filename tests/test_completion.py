"""办结 when the last answer is in — and when the process answering it died before asking."""

from typing import Any

import pytest
from django.db import connection
from django.db.models import Q

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, AuditEvent, Notice
from tests.builders import Bureau, big_units
from tests.helpers import circulating_notice, opened_ack, registered_notice
from workflows.machines import ACK_OPEN_STATES
from workflows.services import acknowledging, completion
from workflows.services.acknowledging import confirm_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice
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


def _plan_of_the_completion_check(notice_id: int) -> str:
    """The generic plan — what a connection runs from the check's sixth execution on."""
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            assert completion.has_open_acknowledgements(notice_id)
            cursor.execute(f"EXPLAIN EXECUTE circulation_ack_open({int(notice_id)})")
            return "\n".join(line for (line,) in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")


def test_the_completion_check_reads_the_open_answers_index_however_large_the_table(
    bureau: Bureau,
) -> None:
    """Every answer asks, after its commit, whether its notice still has an open answer. With
    most of the table open, the check's generic plan used to scan the table from its start — a
    cost that grew with every notice ever circulated — instead of the notice's open rows."""
    codes = big_units(bureau, 2_000, units=2)
    earlier, later = (
        forward_notice(
            Actor(bureau.clerk),
            registered_notice(bureau.clerk, f"舞工信〔2022〕{n}号").pk,
            ForwardRequest(unit_codes=codes),
        ).notice.pk
        for n in (1, 2)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Acknowledgement._meta.db_table}")

    plan = _plan_of_the_completion_check(later)

    assert completion.OPEN_INDEX in plan, plan
    assert "Seq Scan" not in plan, plan
    # the statement's states are the index's condition, or the index could not serve it
    index = next(i for i in Acknowledgement._meta.indexes if i.name == completion.OPEN_INDEX)
    assert index.condition == Q(state__in=[str(s) for s in ACK_OPEN_STATES])
    assert completion.has_open_acknowledgements(earlier)
