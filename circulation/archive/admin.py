"""归档记录 admin: read-only for everyone — no add, change or delete (the rows are sealed).

The sealed PDF and the archived attachments are downloaded through admin views (checked against
their sealed SHA-256 as they are read, and audited like the API's downloads), never through a
``/media/`` URL; the 四性 report and the attachments' hashes are shown as tables.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils.safestring import SafeString

from circulation.archive.downloads import open_sealed_record
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.archive.sealing import SealedFileAltered, open_verified
from circulation.records.admin.display import attachment_hashes_html, checks_report_html
from circulation.records.admin.files import (
    ALTERED,
    admin_url,
    download_link,
    file_response,
    refused,
)
from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.admin.transitions import admin_actor
from circulation.records.errors import DomainError
from circulation.records.models import Attachment, Organisation
from workflows.services import downloads


class ReadOnlyAdmin(OrganisationScopedAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = list(self.readonly_fields)
        return declared + [f.name for f in self.model._meta.fields if f.name not in declared]

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
    # "sealed_file", not "file": a FileField shows its /media/ URL, which is not served.
    fieldsets = (
        (
            "档号",
            {
                "fields": (
                    "archival_code",
                    ("fonds_code", "category", "year"),
                    ("retention", "unit", "unit_code", "item_no"),
                )
            },
        ),
        (
            "归档文件目录",
            {
                "fields": (
                    "notice",
                    "organisation",
                    ("doc_number", "issuer"),
                    "title",
                    ("issued_on", "date_is_receipt"),
                    ("secrecy", "page_count"),
                    "remarks",
                )
            },
        ),
        (
            "归档文件与哈希",
            {
                "fields": (
                    "sealed_file",
                    ("record_sha256", "record_size"),
                    "rendition_sha256",
                    "row_sha256",
                    # a 批办 notice's 处理笺, sealed beside the record (empty for a 阅知 notice)
                    ("sheet_sha256", "sheet_size"),
                    "sheet_sm3",
                    "attachments_display",
                )
            },
        ),
        ("四性检测报告", {"fields": ("checks_display",)}),
        ("归档", {"fields": (("archived_at", "archived_by"),)}),
    )
    readonly_fields = ("sealed_file", "attachments_display", "checks_display")

    class Media:
        css = {"all": ("records/admin.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArchivedRecord]:
        return super().get_queryset(request).select_related("notice", "unit", "archived_by")

    @admin.display(description="归档文件")
    def sealed_file(self, obj: ArchivedRecord) -> SafeString:
        return download_link(admin_url(self, "download", obj.pk), f"{obj.archival_code}.pdf")

    @admin.display(description="附件哈希")
    def attachments_display(self, obj: ArchivedRecord) -> SafeString:
        def link(entry: dict[str, Any]) -> str | None:
            if not isinstance(entry.get("id"), int):
                return None
            return admin_url(self, "attachment", obj.pk, entry["id"])

        return attachment_hashes_html(obj.attachments, link)

    @admin.display(description="四性检测报告")
    def checks_display(self, obj: ArchivedRecord) -> SafeString:
        return checks_report_html(obj.checks_report)

    # --- downloads ------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        own = [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name=f"{prefix}_download",
            ),
            path(
                "<path:object_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name=f"{prefix}_attachment",
            ),
        ]
        return own + super().get_urls()

    def _record(self, request: HttpRequest, object_id: str) -> ArchivedRecord:
        """The record, for an archivist or administrator of its organisation; 404 for another
        organisation's record, 403 without the archive role."""
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404
        user = request.user
        if not self.has_view_permission(request, record) or not (
            user.is_superuser or user.has_perm("records.archive_notice")
        ):
            raise PermissionDenied
        return record

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """The sealed PDF (with the 归档章), hashed as it is read; audited."""
        record = self._record(request, object_id)
        back = admin_url(self, "change", record.pk)
        try:
            content = open_sealed_record(record)
        except DomainError as exc:
            return refused(request, f"{exc.message} / {exc.message_en}", back)
        downloads.archive_download(admin_actor(request), record, what="record.pdf")
        return file_response(
            content,
            filename=f"{record.archival_code}.pdf",
            content_type="application/pdf",
            inline=True,
        )

    def attachment_view(
        self, request: HttpRequest, object_id: str, attachment_id: int
    ) -> HttpResponseBase:
        """An original attachment, checked against the SHA-256 sealed with the record."""
        record = self._record(request, object_id)
        entry = next(
            (e for e in record.attachments if isinstance(e, dict) and e.get("id") == attachment_id),
            None,
        )
        attachment = Attachment.objects.filter(pk=attachment_id, notice=record.notice_id).first()
        if entry is None or attachment is None:
            raise Http404
        size = entry.get("size")
        try:
            content = open_verified(
                lambda: attachment.file.open("rb"),
                sha256=str(entry.get("sha256")),
                size=size if isinstance(size, int) else None,
                label=f"attachment {attachment_id} of {record.archival_code} (admin)",
            )
        except SealedFileAltered:
            return refused(request, ALTERED, admin_url(self, "change", record.pk))
        downloads.archive_download(
            admin_actor(request), record, what="attachment", attachment_id=attachment_id
        )
        return file_response(
            content,
            filename=attachment.original_name,
            content_type=attachment.content_type or "application/octet-stream",
        )


@admin.register(ItemCounter)
class ItemCounterAdmin(ReadOnlyAdmin):
    organisation_path = "fonds_code"
    """Counters are keyed by 全宗号, not by a foreign key: the organisation's own fonds."""

    def organisation_q(self, organisation_id: int) -> Q:
        fonds = Organisation.objects.filter(pk=organisation_id).values("fonds_code")
        return Q(fonds_code__in=fonds)

    list_display = ("fonds_code", "year", "retention", "unit_code", "last_value")
    ordering = ("-year", "fonds_code", "retention", "unit_code")
