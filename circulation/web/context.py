"""Context for every page: the person's roles and their unread notifications (the badge).

Both are worked out only when a template prints them (an htmx fragment that shows neither costs
nothing) and at most once per render. The roles come from what ``PersonBackend.get_user`` read
with the person (circulation/web/auth.py): permissions and flags, no query of their own; the
badge is one count on the index of unread notifications, asked while the page renders, so a
view that marked some read shows the new count.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from circulation.records.models import Membership, Person, Unit, UnitKind
from circulation.web.roles import WebRoles
from workflows.models import Notification


def role_flags(user: Person) -> tuple[bool, bool]:
    """(heads a unit, is a member of the 领导班子): from the sign-in query when it read them."""
    head = getattr(user, "heads_unit", None)
    leader = getattr(user, "in_leadership", None)
    if head is not None and leader is not None:
        return bool(head), bool(leader)
    flags = (
        Person.objects.filter(pk=user.pk)
        .annotate(
            head=Exists(Unit.objects.filter(head=OuterRef("pk"), is_active=True)),
            leader=Exists(
                Membership.objects.filter(
                    person=OuterRef("pk"), unit__kind=UnitKind.LEADERSHIP, unit__is_active=True
                )
            ),
        )
        .values_list("head", "leader")
        .first()
    )
    return flags or (False, False)


@cache
def _unread_sql() -> str:
    """The badge's count, on the index (person, read_at): a few lines of SQL instead of building
    an aggregate query each page (about 0.5 ms of CPU)."""
    meta, quote = Notification._meta, connection.ops.quote_name
    person = quote(meta.get_field("person").column)
    read_at = quote(meta.get_field("read_at").column)
    # Names from the model, quoted; the person is a parameter.
    table = quote(meta.db_table)
    return f"SELECT COUNT(*) FROM {table} WHERE {person} = %s AND {read_at} IS NULL"  # noqa: S608


def _once(compute: Callable[[], Any]) -> Callable[[], Any]:
    """A callable the template engine calls when the variable is printed; computed once."""
    return cache(compute)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not user.is_authenticated:
        return {}

    def roles() -> WebRoles:
        head, leader = role_flags(user)
        return WebRoles.of(user, head=head, leader=leader)

    def unread_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(_unread_sql(), [user.pk])
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    return {"roles": _once(roles), "unread_count": _once(unread_count)}
