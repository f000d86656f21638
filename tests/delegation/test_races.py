"""A delegate answering while the principal cancels, with real transactions: either the answer
committed first (then it is in the audit chain before the cancellation) or the cancellation did
(then the answer is a 404 and nothing is written) — never an answer after a cancellation, never a
5xx."""

from typing import Any

import pytest

from circulation.records.audit import verify_chain
from circulation.records.models import Acknowledgement, AuditEvent
from tests.builders import Bureau
from tests.delegation.builders import appoint
from tests.helpers import opened_ack, race
from tests.web.test_inbox import notice_to
from workflows.machines import AckState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
def test_confirm_on_behalf_against_cancel(bureau: Bureau, api: Any, attempt: int) -> None:
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    notice = notice_to(bureau, 30 + attempt)
    ack = opened_ack(notice, "gyg_1")  # opened by the principal: the confirm is what races
    delegation = appoint(principal, delegate)
    confirm, cancel = race(
        [
            lambda: api(delegate).post(
                f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"comment": "代学"}, format="json"
            ),
            lambda: api(principal).post(f"/api/v1/delegations/{delegation.pk}/cancel/"),
        ]
    )
    assert cancel.status_code == 200
    assert confirm.status_code in {200, 404}
    ack = Acknowledgement.objects.get(pk=ack.pk)
    cancelled = AuditEvent.objects.get(action="delegation.cancelled")
    if confirm.status_code == 200:
        confirmed = AuditEvent.objects.get(action="ack.confirmed", object_id=str(ack.pk))
        assert confirmed.seq < cancelled.seq
        assert (ack.state, ack.acted_by_id) == (AckState.CONFIRMED, delegate.pk)
    else:
        assert (ack.state, ack.acted_by_id) == (AckState.READ, None)
        assert not AuditEvent.objects.filter(action="ack.confirmed").exists()
    assert verify_chain().ok
