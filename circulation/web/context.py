"""Context for every page: the person's roles and their unread notifications (the badge).

Both are worked out only when a template prints them (an htmx fragment that shows neither costs
nothing) and at most once per render. The roles come from what ``PersonBackend.get_user`` read
with the person (circulation/web/auth.py): permissions and flags, no query of their own; the
badge is one count on the index of unread notifications, asked while the page renders, so a
view that marked some read shows the new count.
"""

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from circulation.records.models import Membership, Person, Unit, UnitKind
from circulation.records.roles import LEADER
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


# The main navigation: (URL name, label, the role that sees it; None for everyone).
NAV = (
    ("web:home", _("首页"), None),
    ("web:register", _("登记收文"), "clerk"),
    ("web:board", _("传阅看板"), "desk"),
    ("web:inbox", _("收件箱"), None),
    ("web:handling", _("批办"), "handling"),
    ("web:archive-queue", _("档案"), "archivist"),
    ("web:unit", _("本机构"), "head"),
    ("web:dashboard", _("传阅统计"), "dashboard"),
)
# Links of the page header outside the nav list.
HEADER_URLS = ("web:home", "web:notifications", "web:signout", "set_language")


@lru_cache(maxsize=32)
def _links(language: str | None, prefix: str) -> tuple[dict[str, str], list[tuple[Any, str, str]]]:
    """The header's URLs and the nav's (role, URL, label), reversed and translated once per
    language and script prefix instead of once per page (``{% url %}``, ``{% translate %}``)."""
    urls = {name.replace("web:", "").replace("-", "_"): reverse(name) for name in HEADER_URLS}
    return urls, [(role, reverse(name), str(label)) for name, label, role in NAV]


def handles(user: Person, roles: WebRoles) -> bool:
    """Has a 批办 page: leaders (批示: the 局领导 role or the 领导班子, ``roles.leader``), unit
    heads (承办), the desk and the 办公室主任 (拟办, 答复)."""
    if roles.leader or roles.head or roles.clerk:
        return True
    return user.has_perm("records.propose_handling") or user.has_perm("records.record_reply")


def has_leader_role(user: Person) -> bool:
    """The 局领导 role (``leader``), read with the sign-in query (no query of its own)."""
    leader_role = getattr(user, "leader_role", None)
    if leader_role is None:  # loaded some other way: ask once
        leader_role = user.groups.filter(name=LEADER).exists()
    return bool(leader_role)


def _visible(role: str | None, roles: WebRoles, user: Person) -> bool:
    if role is None:
        return True
    if role == "desk":
        return roles.clerk or roles.admin
    if role == "handling":  # 批办: leaders 批示, units 承办, the desk 拟办 and 答复
        return handles(user, roles)
    return bool(getattr(roles, role))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not user.is_authenticated:
        return {}

    def roles() -> WebRoles:
        head, leader = role_flags(user)
        # A leader is the 局领导 role or a seat in the 领导班子 (selectors.is_leader's rule).
        return WebRoles.of(user, head=head, leader=leader or has_leader_role(user))

    def unread_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(_unread_sql(), [user.pk])
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    lazy_roles = _once(roles)

    def nav() -> list[dict[str, str]]:
        links = _links(get_language(), get_script_prefix())[1]
        return [
            {"url": url, "label": label}
            for role, url, label in links
            if _visible(role, lazy_roles(), user)
        ]

    def header_urls() -> dict[str, str]:
        return _links(get_language(), get_script_prefix())[0]

    return {
        "roles": lazy_roles,
        "unread_count": _once(unread_count),
        "nav": _once(nav),
        "header_urls": _once(header_urls),
    }
