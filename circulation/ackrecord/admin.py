"""Read-only admin for the rendered records (阅知确认单): made only by the services."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from circulation.ackrecord.models import RecordRendition
from circulation.records.admin.scoping import OrganisationScopedAdmin


@admin.register(RecordRendition)
class RecordRenditionAdmin(OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    list_display = ("notice", "generated_at", "page_count", "size", "short_sha256", "frozen")
    list_filter = ("frozen",)
    list_select_related = ("notice",)
    search_fields = ("notice__doc_number", "notice__title", "sha256", "content_hash")
    date_hierarchy = "generated_at"
    readonly_fields = (
        "id",
        "notice",
        "content_hash",
        "file",
        "sha256",
        "size",
        "page_count",
        "generated_at",
        "generated_by",
        "frozen",
        "frozen_at",
        "verify_link",
    )
    fields = readonly_fields

    @admin.display(description="SHA-256")
    def short_sha256(self, obj: RecordRendition) -> str:
        return obj.sha256[:16] + "…"

    @admin.display(description="核验页面")
    def verify_link(self, obj: RecordRendition) -> SafeString:
        url = reverse("ackrecord:verify", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
