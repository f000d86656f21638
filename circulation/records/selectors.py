"""Read-side queries: which notices a person may see, and circulation progress counts."""

from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from circulation.records.models import (
    Acknowledgement,
    Membership,
    Notice,
    Person,
    Unit,
    UnitKind,
)
from circulation.records.roles import LEADER
from workflows.machines import ACK_OPEN_STATES, AckState


def is_leader(person: Person) -> bool:
    """局领导 — the one rule for "leader" (the 阅知确认单, 统计, the 批示 and their 代理): an active
    person with the ``leader`` role, or a member of an active 领导班子 unit of their own
    organisation. One statement."""
    if not person.is_active or person.organisation_id is None:
        return False
    role = Group.objects.filter(name=LEADER, user=OuterRef("pk"))
    leadership = Membership.objects.filter(
        person_id=OuterRef("pk"),
        unit__organisation_id=OuterRef("organisation_id"),
        unit__kind=UnitKind.LEADERSHIP,
        unit__is_active=True,
    )
    return Person.objects.filter(Q(Exists(role)) | Q(Exists(leadership)), pk=person.pk).exists()


def sees_all_notices(user: Person) -> bool:
    return user.is_superuser or user.has_perm("records.view_all_notices")


def visible_notices(user: Person) -> QuerySet[Notice]:
    """收发员/档案员/管理员 see their organisation's notices; others see what was sent to them
    or, as a unit head, to their unit."""
    if user.organisation_id is None:
        return Notice.objects.none()
    base = Notice.objects.filter(organisation_id=user.organisation_id)
    if sees_all_notices(user):
        return base
    own = Acknowledgement.objects.filter(notice=OuterRef("pk"), person=user)
    headed = Acknowledgement.objects.filter(notice=OuterRef("pk"), unit__head=user)
    return base.filter(Q(Exists(own)) | Q(Exists(headed)))


def headed_unit_ids(user: Person) -> list[int]:
    return list(Unit.objects.filter(head=user).values_list("id", flat=True))


def progress_annotations() -> dict[str, Any]:
    """Count expressions over ``acknowledgements`` for one query per list (no N+1)."""
    now = timezone.now()
    prefix = "acknowledgements__"
    return {
        "p_total": Count(f"{prefix}id"),
        "p_pending": Count(f"{prefix}id", filter=Q(**{f"{prefix}state": AckState.PENDING})),
        "p_read": Count(f"{prefix}id", filter=Q(**{f"{prefix}state": AckState.READ})),
        "p_confirmed": Count(f"{prefix}id", filter=Q(**{f"{prefix}state": AckState.CONFIRMED})),
        "p_returned": Count(f"{prefix}id", filter=Q(**{f"{prefix}state": AckState.RETURNED})),
        "p_cancelled": Count(f"{prefix}id", filter=Q(**{f"{prefix}state": AckState.CANCELLED})),
        "p_overdue": Count(
            f"{prefix}id",
            filter=Q(**{f"{prefix}state__in": ACK_OPEN_STATES, f"{prefix}due_at__lt": now}),
        ),
    }


PROGRESS_KEYS = ("total", "pending", "read", "confirmed", "returned", "cancelled", "overdue")


def progress_by_unit(notice: Notice) -> list[dict[str, Any]]:
    """Per-unit counts for one notice, in unit order (one query)."""
    now = timezone.now()
    rows = (
        Acknowledgement.objects.filter(notice=notice)
        .values("unit_id", "unit__code", "unit__name", "unit__sort_order")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=Q(state=AckState.PENDING)),
            read=Count("id", filter=Q(state=AckState.READ)),
            confirmed=Count("id", filter=Q(state=AckState.CONFIRMED)),
            returned=Count("id", filter=Q(state=AckState.RETURNED)),
            cancelled=Count("id", filter=Q(state=AckState.CANCELLED)),
            overdue=Count("id", filter=Q(state__in=ACK_OPEN_STATES, due_at__lt=now)),
        )
        .order_by("unit__sort_order", "unit__code")
    )
    return [
        {
            "unit_id": row["unit_id"],
            "unit": row["unit__code"],
            "unit_name": row["unit__name"],
            **{key: row[key] for key in PROGRESS_KEYS},
        }
        for row in rows
    ]
