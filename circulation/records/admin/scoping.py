"""机关隔离: every ModelAdmin of ours shows, offers and acts on its user's organisation only.

:class:`OrganisationScopedAdmin` is the base of every ModelAdmin of our apps. Each admin declares
``organisation_path``, the ORM path from its model to the organisation (``"organisation"``,
``"notice__organisation"``, …), or ``None`` for data that belongs to no organisation (the official
calendar, sweep runs). For a user who is not a superuser the mixin then scopes

- the changelist, the change, history and delete pages, the transition buttons and every action
  (they all start from :meth:`get_queryset`); another organisation's id in the URL is a 404,
  exactly like an id that does not exist;
- the choices of foreign keys and many-to-many fields, inlines included (scoped by the related
  model's own admin), and so what a form accepts and what autocomplete offers;
- the list filters over relations (``list_filter = ("unit",)`` lists only the user's units).

Superusers see everything. A user without an organisation sees nothing of the scoped models.
``tests/test_admin_scoping.py`` walks every registered admin as a clerk of a second organisation.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import Http404, HttpRequest

UNDECLARED = object()
"""``organisation_path`` not declared: a system check error (admin.E900)."""


def user_organisation(request: HttpRequest) -> int | None:
    return getattr(request.user, "organisation_id", None)


def scoped_admin_for(admin_site: admin.AdminSite, model: type[models.Model]) -> Any:
    """The organisation-scoped admin registered for ``model`` (None: the model is not ours)."""
    model_admin = admin_site._registry.get(model)
    return model_admin if isinstance(model_admin, OrganisationScopedAdmin) else None


def scoped_choices(
    admin_site: admin.AdminSite,
    model: type[models.Model],
    request: HttpRequest,
    queryset: QuerySet[Any] | None = None,
) -> QuerySet[Any] | None:
    """``queryset`` (default: all rows of ``model``) cut to the user's organisation, or None when
    ``model`` holds no organisation data (a group, a permission, a periodic task)."""
    model_admin = scoped_admin_for(admin_site, model)
    if model_admin is None:
        return None
    base = queryset if queryset is not None else model._default_manager.all()
    return model_admin.scope(request, base)


class ScopedChoicesMixin(BaseModelAdmin):
    """Foreign-key and many-to-many choices limited to the user's organisation (for admins and
    inlines alike): what the form offers, what it accepts and what autocomplete looks up."""

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> "ModelChoiceField[Any] | None":
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> "ModelMultipleChoiceField[Any] | None":
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _scope_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        if "queryset" in kwargs or request.user.is_superuser:
            return
        related = db_field.remote_field.model
        ordered = self.get_field_queryset(None, db_field, request)
        queryset = scoped_choices(self.admin_site, related, request, ordered)
        if queryset is not None:
            kwargs["queryset"] = queryset


class OrganisationRelatedFilter(admin.RelatedFieldListFilter):
    """A related-object filter that lists only the user's organisation's objects."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        scoped = scoped_choices(model_admin.admin_site, field.remote_field.model, request)
        if scoped is None or request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False,
            ordering=ordering,
            limit_choices_to=Q(pk__in=scoped.values("pk")),
        )


class OrganisationScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    organisation_path: Any = UNDECLARED
    """ORM path from the model to its organisation, or None: the model holds no
    organisation's data."""

    # --- the scope ------------------------------------------------------------------------------
    def organisation_q(self, organisation_id: int) -> Q:
        """The rows of one organisation (override for a model without a plain path)."""
        return Q(**{self.organisation_path: organisation_id})

    def scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if request.user.is_superuser or self.organisation_path is None:
            return queryset
        organisation_id = user_organisation(request)
        if organisation_id is None:
            return queryset.none()
        return queryset.filter(self.organisation_q(organisation_id))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(request, super().get_queryset(request))

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        """Change, history and delete pages: an object outside the scope and a missing one both
        answer 404 (Django's default redirects to the index with "… doesn't exist")."""
        raise Http404

    # --- list filters ---------------------------------------------------------------------------
    def get_list_filter(self, request: HttpRequest) -> Any:
        return [self._scoped_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_filter(self, entry: Any) -> Any:
        if not isinstance(entry, str):
            return entry
        try:
            field = get_fields_from_path(self.model, entry)[-1]
        except (FieldDoesNotExist, admin.utils.NotRelationField):
            return entry
        if field.is_relation and not field.auto_created:
            return (entry, OrganisationRelatedFilter)
        return entry

    # --- system check: every admin says how it is scoped ----------------------------------------
    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = list(super().check(**kwargs))
        if self.organisation_path is UNDECLARED:
            errors.append(
                checks.Error(
                    f"{type(self).__name__} does not declare organisation_path",
                    hint="The ORM path to the organisation, or None for data of no organisation.",
                    obj=type(self),
                    id="admin.E900",
                )
            )
        return errors
