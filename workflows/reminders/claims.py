"""Claiming acknowledgements for a sweep batch: which ones, and the columns a batch needs of them.

The claim reads columns, not model instances: a batch of 1,000 acknowledgements points at a few
notices, unit heads and clerks, whose columns are read once each.
"""

from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet

from circulation.records.models import Acknowledgement, Person
from workflows.machines import ACK_OPEN_STATES, NoticeState
from workflows.reminders import sql
from workflows.reminders.parallel import Partition


class Claimed(NamedTuple):
    """The columns of a claimed acknowledgement the batch needs (no model instances)."""

    pk: int
    notice_id: int
    person_id: int
    due_at: datetime | None
    urgency: str
    head_id: int | None
    head_active: bool | None
    clerk_id: int | None
    clerk_active: bool | None
    username: str
    head_username: str | None
    clerk_username: str | None


CLAIMED_FIELDS = (
    "pk",
    "notice_id",
    "person_id",
    "due_at",
    "notice__urgency",
    "unit__head_id",
    "round__forwarded_by_id",
    "person__username",
)


def candidates(
    organisation_id: int, horizon: datetime, after: int, share: Partition | None = None
) -> QuerySet[Acknowledgement]:
    """Open acknowledgements of circulating notices due before ``horizon``, by id (only those of
    the notices of ``share`` when the sweep runs on several connections)."""
    queryset = Acknowledgement.objects.filter(
        notice__organisation_id=organisation_id,
        notice__state=NoticeState.CIRCULATING,
        state__in=ACK_OPEN_STATES,
        due_at__isnull=False,
        due_at__lt=horizon,
        person__is_active=True,
        pk__gt=after,
    ).order_by("pk")
    return share.only(queryset, "notice_id") if share else queryset


def claimed_rows(queryset: QuerySet[Acknowledgement]) -> list[Claimed]:
    """``candidates(…)`` (sliced, locked or not) as rows, no model instances: two queries, the
    acknowledgements and then their few unit heads and clerks (joining those too would make the
    claim a join of eight tables, which takes longer to plan than to run)."""
    rows = list(queryset.values_list(*CLAIMED_FIELDS))
    if not rows:
        return []
    ids = {row[5] for row in rows if row[5] is not None} | {row[6] for row in rows if row[6]}
    people = {
        pk: (active, username)
        for pk, active, username in Person.objects.filter(sql.ids_in("pk", ids)).values_list(
            "pk", "is_active", "username"
        )
    }
    unknown = (None, None)
    claimed = []
    for pk, notice_id, person_id, due_at, urgency, head_id, clerk_id, username in rows:
        head_active, head_username = people.get(head_id, unknown) if head_id else unknown
        clerk_active, clerk_username = people.get(clerk_id, unknown) if clerk_id else unknown
        claimed.append(
            Claimed(
                pk,
                notice_id,
                person_id,
                due_at,
                urgency,
                head_id,
                head_active,
                clerk_id,
                clerk_active,
                username,
                head_username,
                clerk_username,
            )
        )
    return claimed
