"""机关、机构、人员 admin: organisations, units, people (Django's UserAdmin) and memberships."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest

from circulation.records.admin.scoping import OrganisationScopedAdmin, ScopedChoicesMixin
from circulation.records.models import Membership, Organisation, Person, Unit
from circulation.records.roles import ROLE_LABELS


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_display = (
        "name",
        "short_name",
        "fonds_code",
        "filing_unit",
        "require_password_on_confirm",
    )
    list_select_related = ("filing_unit",)
    search_fields = ("name", "short_name", "fonds_code")
    autocomplete_fields = ("filing_unit",)
    ordering = ("name",)


class UnitMembershipInline(ScopedChoicesMixin, admin.TabularInline):
    model = Membership
    fk_name = "unit"
    extra = 0
    autocomplete_fields = ("person",)
    verbose_name = "成员"
    verbose_name_plural = "成员"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("person")


@admin.register(Unit)
class UnitAdmin(OrganisationScopedAdmin):
    organisation_path = "organisation"
    list_display = (
        "code",
        "name",
        "kind",
        "organisation",
        "parent",
        "head",
        "member_count",
        "sort_order",
        "is_active",
    )
    list_display_links = ("code", "name")
    list_select_related = ("organisation", "parent", "head")
    list_filter = ("kind", "is_active", "organisation")
    search_fields = ("code", "name")
    autocomplete_fields = ("organisation", "parent", "head")
    inlines = (UnitMembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Unit]:
        # A GROUP BY query ignores Meta.ordering: order explicitly (autocomplete pages on it).
        return (
            super()
            .get_queryset(request)
            .annotate(n_members=Count("memberships"))
            .order_by("organisation", "sort_order", "code")
        )

    @admin.display(description="人数", ordering="n_members")
    def member_count(self, obj: Unit) -> int:
        return getattr(obj, "n_members", 0)


class PersonMembershipInline(ScopedChoicesMixin, admin.TabularInline):
    model = Membership
    fk_name = "person"
    extra = 0
    autocomplete_fields = ("unit",)
    verbose_name = "所属机构"
    verbose_name_plural = "所属机构"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("unit")


def role_label(group: Group) -> str:
    """A role group by its Chinese name (收发员), its code beside it."""
    label = ROLE_LABELS.get(group.name)
    return f"{label}（{group.name}）" if label else group.name


class RoleFilter(admin.RelatedFieldListFilter):
    """角色 (groups) listed by their Chinese names, not their codes."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        return [(group.pk, role_label(group)) for group in Group.objects.order_by("name")]


class PersonCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = Person
        fields = ("username", "display_name", "email", "organisation")


class PersonChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]
        model = Person


@admin.register(Person)
class PersonAdmin(OrganisationScopedAdmin, UserAdmin):
    organisation_path = "organisation"
    form = PersonChangeForm
    add_form = PersonCreationForm
    list_display = (
        "username",
        "display_name",
        "email",
        "organisation",
        "unit_list",
        "role_list",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_select_related = ("organisation",)
    list_filter = (("groups", RoleFilter), "is_staff", "is_superuser", "is_active", "organisation")
    search_fields = ("username", "display_name", "email", "first_name", "last_name")
    autocomplete_fields = ("organisation",)
    inlines = (PersonMembershipInline,)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("机关与姓名 Organisation and name", {"fields": ("display_name", "organisation", "email")}),
        (
            "其他姓名字段 Other name fields",
            {"classes": ("collapse",), "fields": ("first_name", "last_name")},
        ),
        (
            "角色与权限 Roles and permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "description": "角色即用户组 Roles are groups: "
                + "、".join(f"{code} {label}" for code, label in ROLE_LABELS.items()),
            },
        ),
        ("时间 Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "display_name",
                    "email",
                    "organisation",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).prefetch_related("units", "groups")

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> "ModelMultipleChoiceField[Any] | None":
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name == "groups":
            field.label_from_instance = role_label  # type: ignore[method-assign,assignment]
        return field

    @admin.display(description="所属机构")
    def unit_list(self, obj: Person) -> str:
        return "、".join(unit.code for unit in obj.units.all())

    @admin.display(description="角色")
    def role_list(self, obj: Person) -> str:
        return "、".join(ROLE_LABELS.get(group.name, group.name) for group in obj.groups.all())


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    organisation_path = "unit__organisation"
    list_display = ("person", "unit", "is_primary")
    list_select_related = ("person", "unit")
    list_filter = ("is_primary", "unit")
    search_fields = ("person__username", "person__display_name", "unit__code", "unit__name")
    autocomplete_fields = ("person", "unit")
