"""The 传阅通知 while a delegation is in force: the principal is told as before, their delegate gets
an in-app copy (【代 name】, pointing at their inbox, no email), the others nothing more."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.records.actors import Actor
from tests.builders import Bureau, bulk_people
from tests.delegation.builders import appoint
from tests.helpers import registered_notice
from workflows.models import Delegation, Notification, NotificationKind
from workflows.services.delegation import cancel_delegation
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db


def test_the_delegate_in_force_gets_a_copy_of_the_forward_notice(bureau: Bureau) -> None:
    principal, delegate, other = (bureau.person(n) for n in ("gyg_1", "bgs_1", "gyg_2"))
    away = bureau.person("bgs_2")
    appoint(principal, delegate)
    # a delegation not yet begun: no copy
    appoint(other, away, starts_at=timezone.now() + timedelta(days=2))
    notice = registered_notice(bureau.clerk)

    with CaptureQueriesContext(connection) as queries:
        forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(usernames=["gyg_1", "gyg_2"]))

    told = Notification.objects.get(person=principal, notice=notice)
    copy = Notification.objects.get(person=delegate, notice=notice)
    assert copy.kind == NotificationKind.FORWARDED
    assert copy.title.startswith(f"【代 {principal.name}")  # the name as the digests print it
    assert copy.title.endswith(f"】{told.title}")
    assert copy.link == "/inbox/"
    assert "传阅通知发给" in copy.body
    assert told.body in copy.body
    assert copy.digest is None  # in-app only: the email stays with the principal
    assert Notification.objects.filter(person=other, notice=notice).count() == 1
    assert not Notification.objects.filter(person=away, notice=notice).exists()
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "workflows_notification"')]
    assert len(inserts) == 1  # one statement for the copies, whatever their number


def test_no_copy_once_the_delegation_is_cancelled(bureau: Bureau) -> None:
    principal, delegate = bureau.person("gyg_1"), bureau.person("bgs_1")
    delegation = appoint(principal, delegate)
    cancel_delegation(Actor(principal), delegation.pk)
    notice = registered_notice(bureau.clerk)
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(usernames=["gyg_1"]))
    assert Notification.objects.filter(person=principal, notice=notice).exists()
    assert not Notification.objects.filter(person=delegate, notice=notice).exists()


def test_the_copies_cost_one_statement_for_any_number_of_delegates(bureau: Bureau) -> None:
    now = timezone.now()
    people = bulk_people(bureau, "many_", 400)
    principals, deputies = people[:200], people[200:]
    Delegation.objects.bulk_create(
        Delegation(
            principal=p,
            delegate=d,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            created_by=p,
        )
        for p, d in zip(principals, deputies, strict=True)
    )

    def forward(doc_number: str, names: list[str], copies: int) -> int:
        notice = registered_notice(bureau.clerk, doc_number)
        with CaptureQueriesContext(connection) as queries:
            forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(usernames=names))
        told = Notification.objects.filter(notice=notice, title__startswith="【代 ")
        assert told.count() == copies
        return len(queries)

    plain = forward("舞工信〔2022〕50号", [d.username for d in deputies[:2]], 0)  # no delegates
    few = forward("舞工信〔2022〕51号", [p.username for p in principals[:2]], 2)
    many = forward("舞工信〔2022〕52号", [p.username for p in principals[2:]], 198)
    assert few == many == plain + 1  # the one insert of the copies, whatever their number
