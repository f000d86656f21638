"""Concurrent clicks with real transactions: one transition, one audit event, never a 5xx."""

from typing import Any

import pytest
from django.db import connection

from circulation.records.audit import verify_chain
from circulation.records.models import Acknowledgement, AuditEvent, Notice
from tests.builders import Bureau
from tests.helpers import circulating_notice, opened_ack, race, registered_notice

pytestmark = pytest.mark.django_db(transaction=True)


def test_double_confirm_records_one_transition(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    url = f"/api/v1/acknowledgements/{ack.pk}/confirm/"
    clients = [api(ack.person), api(ack.person), api(ack.person)]
    responses = race(
        [lambda c=c: c.post(url, {"comment": "已学习"}, format="json") for c in clients]
    )

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert {r.json()["state"] for r in responses} == {"confirmed"}
    assert AuditEvent.objects.filter(action="ack.confirmed", object_id=str(ack.pk)).count() == 1
    ack.refresh_from_db()
    assert ack.state == "confirmed"


def test_concurrent_forwards_add_each_recipient_once(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    url = f"/api/v1/notices/{notice.pk}/forward/"
    body = {"units": ["GYG", "ZXFW"], "due_working_days": 3}
    clients = [api(bureau.clerk) for _ in range(3)]
    responses = race([lambda c=c: c.post(url, body, format="json") for c in clients])

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert sorted(r.json()["recipients_added"] for r in responses) == [0, 0, 8]
    assert Acknowledgement.objects.filter(notice=notice).count() == 8
    assert AuditEvent.objects.filter(notice=notice, action="notice.forwarded").count() == 1
    assert Notice.objects.get(pk=notice.pk).state == "circulating"


def test_last_two_confirms_at_once_complete_the_notice(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=(), people=("gyg_1", "gyg_2"))
    first, second = opened_ack(notice, "gyg_1"), opened_ack(notice, "gyg_2")
    responses = race(
        [
            lambda: api(first.person).post(f"/api/v1/acknowledgements/{first.pk}/confirm/"),
            lambda: api(second.person).post(f"/api/v1/acknowledgements/{second.pk}/confirm/"),
        ]
    )
    assert [r.status_code for r in responses] == [200, 200]
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    assert AuditEvent.objects.filter(notice=notice, action="notice.completed").count() == 1


def test_every_recipient_confirming_at_once_chains_and_completes_once(
    bureau: Bureau, api: Any
) -> None:
    """Eight recipients of one notice confirm together: eight confirmations, one completion,
    and the audit chain stays gapless and verifiable (each append locks the head itself)."""
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    acks = list(Acknowledgement.objects.filter(notice=notice).select_related("person"))
    assert len(acks) == 8
    for ack in acks:
        opened_ack(notice, ack.person.username)
    responses = race(
        [
            lambda a=a: api(a.person).post(
                f"/api/v1/acknowledgements/{a.pk}/confirm/", {"comment": "已学习"}, format="json"
            )
            for a in acks
        ]
    )

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 8
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    assert AuditEvent.objects.filter(notice=notice, action="ack.confirmed").count() == 8
    assert AuditEvent.objects.filter(notice=notice, action="notice.completed").count() == 1
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_chain().ok


def test_confirm_racing_withdraw_never_loses_the_confirmation(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    responses = race(
        [
            lambda: api(ack.person).post(f"/api/v1/acknowledgements/{ack.pk}/confirm/"),
            lambda: api(bureau.clerk).post(
                f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "发错范围"}, format="json"
            ),
        ]
    )
    confirm, withdraw = responses
    assert withdraw.status_code == 200
    assert confirm.status_code in (200, 409)
    ack.refresh_from_db()
    # Whichever came first, the outcome is consistent with the responses the users saw.
    if confirm.status_code == 200:
        assert ack.state == "confirmed"
    else:
        assert ack.state == "cancelled"
    assert Notice.objects.get(pk=notice.pk).state == "withdrawn"


def test_concurrent_registrations_are_numbered_without_gaps(bureau: Bureau, api: Any) -> None:
    from tests.builders import SAMPLE

    clients = [api(bureau.clerk) for _ in range(6)]
    responses = race(
        [
            lambda c=c, i=i: c.post(
                "/api/v1/notices/",
                {**SAMPLE, "doc_number": f"舞工信〔2022〕{i + 30}号"},
                format="json",
            )
            for i, c in enumerate(clients)
        ]
    )
    assert [r.status_code for r in responses] == [201] * 6
    seqs = sorted(Notice.objects.values_list("registration_seq", flat=True))
    assert seqs == [1, 2, 3, 4, 5, 6]


def test_same_number_registered_twice_at_once_is_one_record(bureau: Bureau, api: Any) -> None:
    from tests.builders import SAMPLE

    variants = ["舞工信〔2022〕25号", "舞工信[2022]25号", "舞工信（2022）025号"]
    responses = race(
        [
            lambda v=v: api(bureau.clerk).post(
                "/api/v1/notices/", {**SAMPLE, "doc_number": v}, format="json"
            )
            for v in variants
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409]
    winner = next(r for r in responses if r.status_code == 201).json()["id"]
    assert {r.json()["existing_id"] for r in responses if r.status_code == 409} == {winner}
    assert Notice.objects.count() == 1


def test_last_confirm_racing_withdraw_has_one_outcome(bureau: Bureau, api: Any) -> None:
    """The only recipient confirms while the clerk withdraws: no deadlock, one consistent end."""
    notice = circulating_notice(bureau.clerk, units=(), people=("gyg_1",))
    ack = opened_ack(notice, "gyg_1")
    confirm, withdraw = race(
        [
            lambda: api(ack.person).post(f"/api/v1/acknowledgements/{ack.pk}/confirm/"),
            lambda: api(bureau.clerk).post(
                f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "发错范围"}, format="json"
            ),
        ]
    )
    ack.refresh_from_db()
    final = Notice.objects.get(pk=notice.pk).state
    if confirm.status_code == 200:  # confirmed first: the notice completed, withdraw is refused
        assert (ack.state, final, withdraw.status_code) == ("confirmed", "completed", 409)
    else:  # withdrawn first: the confirm is refused
        assert (confirm.status_code, ack.state, final) == (409, "cancelled", "withdrawn")
        assert withdraw.status_code == 200


def test_confirm_costs_a_fixed_number_of_queries(
    bureau: Bureau, api: Any, django_assert_num_queries: Any
) -> None:
    """Token (with the organisation), BEGIN, the acknowledgement's lock (its notice, round, unit
    and people read along), its write, the audit append (one statement), COMMIT, and the
    completion check after the commit. The answer is the locked row serialised (no re-read):
    what a GET of the acknowledgement shows afterwards."""
    notice = circulating_notice(bureau.clerk)
    first, second = opened_ack(notice, "gyg_1"), opened_ack(notice, "gyg_2")
    client_one, client_two = api(first.person), api(second.person)
    with django_assert_num_queries(7) as captured:
        answer = client_one.post(
            f"/api/v1/acknowledgements/{first.pk}/confirm/", {"comment": "已学习"}, format="json"
        )
    assert answer.status_code == 200
    # The lock is a statement prepared once per connection (planned once, not per answer).
    assert captured.captured_queries[2]["sql"].startswith("EXECUTE circulation_ack_lock(")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = 'circulation_ack_lock'"
        )
        (statement,) = cursor.fetchone()
    assert "FOR UPDATE OF t0" in statement
    with django_assert_num_queries(len(captured)):
        assert client_two.post(f"/api/v1/acknowledgements/{second.pk}/confirm/").status_code == 200
    shown = client_one.get(f"/api/v1/acknowledgements/{first.pk}/").json()
    assert answer.json() == shown
    assert (shown["state"], shown["comment"], shown["recipient"]) == (
        "confirmed",
        "已学习",
        "gyg_1",
    )
    assert (shown["doc_number"], shown["unit"]) == (notice.doc_number, "GYG")
