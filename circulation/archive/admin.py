"""归档记录 admin: read-only for everyone — no add, change or delete (the rows are sealed)."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.models import Organisation


class ReadOnlyAdmin(OrganisationScopedAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ArchivedRecord)
class ArchivedRecordAdmin(ReadOnlyAdmin):
    organisation_path = "organisation"
    list_display = (
        "archival_code",
        "doc_number",
        "title",
        "issuer",
        "issued_on",
        "retention",
        "unit_code",
        "page_count",
        "archived_at",
    )
    list_filter = ("year", "retention", "unit_code")
    search_fields = ("archival_code", "doc_number", "title", "issuer")
    ordering = ("-id",)
    show_full_result_count = False
    exclude = ("search_title", "search_text")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for f in super().get_readonly_fields(request, obj) if f not in self.exclude]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArchivedRecord]:
        return super().get_queryset(request).select_related("notice", "unit", "archived_by")


@admin.register(ItemCounter)
class ItemCounterAdmin(ReadOnlyAdmin):
    organisation_path = "fonds_code"
    """Counters are keyed by 全宗号, not by a foreign key: the organisation's own fonds."""

    def organisation_q(self, organisation_id: int) -> Q:
        fonds = Organisation.objects.filter(pk=organisation_id).values("fonds_code")
        return Q(fonds_code__in=fonds)

    list_display = ("fonds_code", "year", "retention", "unit_code", "last_value")
    ordering = ("-year", "fonds_code", "retention", "unit_code")
