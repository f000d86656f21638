"""代理 in the reminders: while a delegation is in force, the delegate gets an in-app copy of each
digest sent to the person they act for (the principal keeps theirs: they may read it away).

One query for the delegations of a batch's recipients and, only when there are any, one insert:
a digest batch costs the same number of queries for any number of people. The copy links to the
delegate's inbox, where the principal's items are (marked 代 <name>); email and group robots stay
with the principal.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q

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
    return store_copies(
        composed, {c.person_id: lookups.people[c.person_id].name for c in composed}, delegates, now
    )


def delegate_ids(now: datetime) -> ArraySubquery:
    """For a Person query: the ids of the person's delegates in force at ``now`` (an array,
    empty when none), read in the same statement."""
    return ArraySubquery(
        Delegation.objects.filter(
            cancelled_at__isnull=True,
            starts_at__lte=now,
            ends_at__gt=now,
            principal_id=OuterRef("pk"),
        )
        .order_by("delegate_id")
        .values("delegate_id")
    )


def store_copies(
    composed: Sequence[Composed],
    names: Mapping[int, str],
    delegates: Mapping[int, Sequence[int]],
    now: datetime,
    *,
    what: tuple[str, str] = ("催办", "reminder"),
) -> int:
    """Write the in-app copies of ``composed`` for ``delegates`` (principal id → delegate ids),
    ``names`` giving the principals' names; one insert when there are any; how many.
    ``what`` names the message in the copy's body (Chinese, English)."""
    copies = [
        _copy(c, names[c.person_id], delegate_id, now, what)
        for c in composed
        for delegate_id in delegates.get(c.person_id, ())
    ]
    if copies:
        Notification.objects.bulk_create(copies)
    return len(copies)


def _copy(
    digest: Composed, principal: str, delegate_id: int, now: datetime, what: tuple[str, str]
) -> Notification:
    return Notification(
        person_id=delegate_id,
        kind=digest.kind,
        notice_id=digest.notice_id,
        title=f"【代 {principal}】{digest.subject}"[:TITLE_MAX],
        body=(
            f"您是 {principal} 的代理人，以下{what[0]}发给 {principal}，请在收件箱中代为办理。\n"
            f"You are {principal}'s delegate: this {what[1]} was sent to them; "
            "handle it in your inbox.\n\n"
            f"{digest.body}"
        ),
        link="/inbox/",
        created_at=now,
    )
