"""Read-only admin for the rendered records (阅知确认单): made only by the services.

The PDF is downloaded through an admin view (``<id>/download/``: the organisation's clerks,
archivists, administrators and leaders, like ``record.pdf`` of the API; checked against its
SHA-256 as it is read and audited), never through a ``/media/`` URL.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from circulation.ackrecord.access import may_read_whole_record
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.serving import content_disposition
from circulation.archive.sealing import SealedFileAltered, open_verified
from circulation.records.admin.files import (
    ALTERED,
    admin_url,
    download_link,
    file_response,
    refused,
)
from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.admin.transitions import admin_actor
from circulation.records.models import Person
from workflows.services.downloads import record_download


@admin.register(RecordRendition)
class RecordRenditionAdmin(OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    list_display = (
        "notice",
        "generated_at",
        "page_count",
        "size",
        "short_sha256",
        "frozen",
        "download",
    )
    list_filter = ("frozen",)
    list_select_related = ("notice",)
    search_fields = ("notice__doc_number", "notice__title", "sha256", "content_hash")
    date_hierarchy = "generated_at"
    # "download", not "file": a FileField shows its /media/ URL, which is not served.
    readonly_fields = (
        "id",
        "notice",
        "content_hash",
        "download",
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

    @admin.display(description="文件 SHA-256")
    def short_sha256(self, obj: RecordRendition) -> str:
        return obj.sha256[:16] + "…"

    @admin.display(description="文件")
    def download(self, obj: RecordRendition) -> SafeString:
        return download_link(admin_url(self, "download", obj.pk), "下载 PDF")

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

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        own = [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name=f"{opts.app_label}_{opts.model_name}_download",
            )
        ]
        return own + super().get_urls()

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """The rendition's PDF for whoever may read the whole record (the roster); 404 for
        everyone else, as ``record.pdf``."""
        rendition = self.get_object(request, unquote(object_id))  # another organisation's: None
        user = request.user
        if rendition is None or not isinstance(user, Person):
            raise Http404
        if not self.has_view_permission(request, rendition):
            raise Http404
        if not (user.is_superuser or may_read_whole_record(user, rendition.notice)):
            raise Http404
        try:
            content = open_verified(
                lambda: rendition.file.open("rb"),
                sha256=rendition.sha256,
                size=rendition.size,
                label=f"record rendition {rendition.pk} (admin)",
            )
        except SealedFileAltered:
            return refused(request, ALTERED, admin_url(self, "change", rendition.pk))
        record_download(admin_actor(request), rendition)
        response = file_response(
            content,
            filename=f"{rendition.notice.doc_number} 阅知确认单.pdf",
            content_type="application/pdf",
            inline=True,
        )
        response["Content-Disposition"] = content_disposition(rendition.notice.doc_number)
        return response
