"""Context for every page: the person's roles and their unread notifications (the badge)."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Subquery
from django.http import HttpRequest

from circulation.records.models import Membership, Person, Unit, UnitKind
from circulation.web.roles import WebRoles
from workflows.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not user.is_authenticated:
        return {}
    # One query: the unread count and whether the person heads a unit or leads (the nav).
    flags = (
        Person.objects.filter(pk=user.pk)
        .annotate(
            unread=Subquery(
                Notification.objects.filter(person=OuterRef("pk"), read_at__isnull=True)
                .order_by()
                .values("person")
                .annotate(n=Count("id"))
                .values("n")
            ),
            head=Exists(Unit.objects.filter(head=OuterRef("pk"), is_active=True)),
            leader=Exists(
                Membership.objects.filter(
                    person=OuterRef("pk"), unit__kind=UnitKind.LEADERSHIP, unit__is_active=True
                )
            ),
        )
        .values("unread", "head", "leader")
        .first()
    ) or {"unread": 0, "head": False, "leader": False}
    return {
        "roles": WebRoles.of(user, head=flags["head"], leader=flags["leader"]),
        "unread_count": flags["unread"] or 0,
    }
