"""代理 in the reminders: while a delegation is in force, the delegate gets an in-app copy of each
digest sent to the person they act for (the principal keeps theirs: they may read it away).

One query for the delegations of a batch's recipients and, only when there are any, one insert:
a digest batch costs the same number of queries for any number of people. The copy links to the
delegate's inbox, where the principal's items are (marked 代 <name>); email and group robots stay
with the principal.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q

from workflows.models import Delegation, Notification
from workflows.reminders.digest_items import Lookups
from workflows.reminders.digest_store import Composed

TITLE_MAX = 200


def copy_to_delegates(composed: Sequence[Composed], lookups: Lookups, now: datetime) -> int:
    """In-app copies of ``composed`` for the delegates in force at ``now``; how many."""
    if not composed:
        return 0
    pairs = Delegation.objects.filter(
        Q(cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now),
        principal_id__in=[c.person_id for c in composed],
    ).values_list("principal_id", "delegate_id")
    delegates: dict[int, list[int]] = {}
    for principal_id, delegate_id in pairs:
        delegates.setdefault(principal_id, []).append(delegate_id)
    copies = [
        _copy(c, lookups.people[c.person_id].name, delegate_id, now)
        for c in composed
        for delegate_id in delegates.get(c.person_id, ())
    ]
    if copies:
        Notification.objects.bulk_create(copies)
    return len(copies)


def _copy(digest: Composed, principal: str, delegate_id: int, now: datetime) -> Notification:
    return Notification(
        person_id=delegate_id,
        kind=digest.kind,
        notice_id=digest.notice_id,
        title=f"【代 {principal}】{digest.subject}"[:TITLE_MAX],
        body=(
            f"您是 {principal} 的代理人，以下催办发给 {principal}，请在收件箱中代为办理。\n"
            f"You are {principal}'s delegate: this reminder was sent to them; "
            "handle it in your inbox.\n\n"
            f"{digest.body}"
        ),
        link="/inbox/",
        created_at=now,
    )
