"""Context for every page: the person's roles and their unread notifications (the badge)."""

from typing import Any

from django.http import HttpRequest

from circulation.records.models import Person
from circulation.web.roles import WebRoles
from workflows.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not user.is_authenticated:
        return {}
    return {
        "roles": WebRoles.of(user),
        "unread_count": Notification.objects.filter(person=user, read_at__isnull=True).count(),
    }
