"""The authentication backend of every signed-in request: the person, their permissions and the
navigation's role flags in one query.

Django's ``ModelBackend`` reads the person (one query) and, at the first ``has_perm``, their own
and their groups' permissions (two more); the page context asked a fourth time whether they head a
unit or sit in the 领导班子. Here ``get_user`` reads all of it at once: the permission names come as
an array (a subquery over the person's own permissions and their groups'), the flags as two
``EXISTS``; the set is kept on the person object like ``ModelBackend`` keeps its cache, so it lives
for the request only and a permission granted or taken away counts from the next request on.

A person loaded some other way (an API token, a form) gets their permissions in one query
instead of two. Superusers have every permission, as with ``ModelBackend``.

``ModelBackend`` stays listed after this one, so sessions signed in with it before go on; a
sign-in this backend refuses stops there (``PermissionDenied``), so a wrong password is not
hashed a second time by ``ModelBackend``.
"""

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.http import HttpRequest

from circulation.records.models import Membership, Person, Unit, UnitKind
from circulation.records.roles import LEADER


def _permissions_of(person: Any) -> QuerySet[Permission]:
    """The person's own permissions and their groups' (``person`` a pk or ``OuterRef``)."""
    own = Person.user_permissions.through.objects.filter(
        permission=OuterRef("pk"), person_id=person
    )
    grouped = Permission.group_set.through.objects.filter(
        permission=OuterRef("pk"), group__user=person
    )
    return Permission.objects.filter(Q(Exists(own)) | Q(Exists(grouped)))


def _name() -> Concat:
    """``app_label.codename``, the name ``has_perm`` asks for."""
    return Concat("content_type__app_label", Value("."), "codename")


# A pk no person has: the query is compiled once with it, then each request's pk takes its place
# (compiling the subqueries cost more CPU than the two queries they replace).
_MARKER_PK = -987654321987


@cache
def _compiled_person_query() -> tuple[str, tuple[Any, ...]]:
    people = Person._default_manager.filter(pk=_MARKER_PK).annotate(
        permission_names=ArraySubquery(
            _permissions_of(OuterRef(OuterRef("pk"))).order_by().values(full=_name())
        ),
        heads_unit=Exists(Unit.objects.filter(head=OuterRef("pk"), is_active=True)),
        in_leadership=Exists(
            Membership.objects.filter(
                person=OuterRef("pk"), unit__kind=UnitKind.LEADERSHIP, unit__is_active=True
            )
        ),
        # the 局领导 role without a seat in the 领导班子 unit: 批示 too (the nav's 批办)
        leader_role=Exists(Group.objects.filter(name=LEADER, user=OuterRef("pk"))),
    )
    sql, params = people.query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
    if list(params).count(_MARKER_PK) != 1:  # pragma: no cover - a change of the query above
        raise ImproperlyConfigured("the person query must take the pk once")
    return sql, tuple(params)


def _person_query(pk: int) -> tuple[str, tuple[Any, ...]]:
    sql, params = _compiled_person_query()
    return sql, tuple(pk if p == _MARKER_PK else p for p in params)


class PersonBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Person | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            # Refused: the same answer and the same failed-sign-in signal (django-axes counts
            # it) as returning None, without ModelBackend checking the password again.
            raise PermissionDenied("wrong username or password")
        return user

    def get_user(self, user_id: Any) -> Person | None:
        try:
            pk = Person._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        person = next(iter(Person._default_manager.raw(*_person_query(pk))), None)
        if person is None or not self.user_can_authenticate(person):
            return None
        if not person.is_superuser:
            person._perm_cache = set(person.permission_names or ())  # type: ignore[attr-defined]
        return person

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = (
                Permission.objects.all() if user_obj.is_superuser else _permissions_of(user_obj.pk)
            )
            user_obj._perm_cache = set(permissions.order_by().values_list(_name(), flat=True))
        return user_obj._perm_cache
