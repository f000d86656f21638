"""收文 admin: notices (with 退回/撤回 buttons through the services), rounds and attachments."""

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from circulation.archive.sealing import SealedFileAltered, open_verified
from circulation.records.admin.display import corrections_html, titles_html, warnings_html
from circulation.records.admin.files import (
    ALTERED,
    admin_url,
    download_link,
    file_response,
    refused,
)
from circulation.records.admin.scoping import OrganisationScopedAdmin, scoped_admin_for
from circulation.records.admin.transitions import (
    AdminTransition,
    ReadOnlyRecordMixin,
    TransitionAdminMixin,
)
from circulation.records.models import (
    Acknowledgement,
    Attachment,
    CirculationRound,
    Notice,
    Person,
)
from circulation.records.selectors import progress_by_unit, visible_notices
from workflows.machines import AckState
from workflows.services.registration import return_to_sender
from workflows.services.withdrawal import withdraw_notice

ACKS_SHOWN = 20
"""Acknowledgements listed on the notice page; the rest are one click away (a notice may have
thousands of recipients)."""

NOTICE_TRANSITIONS = (
    AdminTransition(
        name="return",
        label="初审退回 Return to sender",
        fsm_method="return_to_sender",
        run=lambda actor, notice, data: return_to_sender(actor, notice.pk, data.text),
        success="已退回发文机关 / Returned to the sender",
        needs_text=True,
        danger=True,
    ),
    AdminTransition(
        name="withdraw",
        label="撤回 Withdraw",
        fsm_method="withdraw",
        run=lambda actor, notice, data: withdraw_notice(actor, notice.pk, data.text),
        success="已撤回，未完成的阅知已取消 / Withdrawn; open acknowledgements were cancelled",
        needs_text=True,
        danger=True,
    ),
)


def _ack_count(state: str | None = None) -> Coalesce:
    """A correlated count, evaluated only for the rows of the page (count() drops it)."""
    acks = Acknowledgement.objects.filter(notice=OuterRef("pk"))
    if state is not None:
        acks = acks.filter(state=state)
    counted = acks.order_by().values("notice").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _when(value: datetime | None) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else "—"


def _changelist_url(model: str, **filters: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return f"{reverse(f'admin:records_{model}_changelist')}?{query}"


class RoundInline(ReadOnlyRecordMixin, admin.TabularInline):
    model = CirculationRound
    extra = 0
    can_delete = False
    fields = (
        "number",
        "forwarded_by",
        "forwarded_at",
        "unit_codes",
        "instruction",
        "due_at",
        "recipients_added",
        "calendar_note",
    )
    readonly_fields = ("unit_codes",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CirculationRound]:
        return (
            super().get_queryset(request).select_related("forwarded_by").prefetch_related("units")
        )

    @admin.display(description="机构")
    def unit_codes(self, obj: CirculationRound) -> str:
        return "、".join(unit.code for unit in obj.units.all())


def attachment_download_url(attachment: Attachment) -> str:
    return reverse("admin:records_attachment_download", args=[attachment.pk])


class AttachmentInline(ReadOnlyRecordMixin, admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = (
        "original_name",
        "extension",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "download",
    )
    readonly_fields = ("download",)

    @admin.display(description="下载")
    def download(self, obj: Attachment) -> SafeString:
        return download_link(attachment_download_url(obj), "下载原件")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyRecordMixin, TransitionAdminMixin, OrganisationScopedAdmin):
    organisation_path = "organisation"
    transitions = NOTICE_TRANSITIONS
    transition_text_label = "原因（退回、撤回必填） Reason"
    transition_help = (
        "退回、撤回通过与接口相同的业务服务办理，并写入审计日志。"
        " / Return and withdraw go through the same services as the API and are audited."
    )
    list_display = (
        "registration_display",
        "doc_number",
        "title",
        "issuer",
        "urgency",
        "handling",
        "state",
        "received_at",
        "due_at",
        "progress",
    )
    list_display_links = ("registration_display", "doc_number")
    list_filter = ("state", "urgency", "handling", "secrecy", "year", "received_at")
    search_fields = ("doc_number", "doc_number_original", "title", "issuer", "issuer_code")
    date_hierarchy = "received_at"
    list_per_page = 50
    inlines = (RoundInline, AttachmentInline)
    readonly_fields = (
        "registration_display",
        "acknowledgement_summary",
        "corrections_display",
        "forwards_display",
    )
    fieldsets = (
        (
            "文件 Document",
            {
                "fields": (
                    "organisation",
                    ("doc_number", "doc_number_original"),
                    "corrections_display",
                    ("issuer", "issuer_code"),
                    ("year", "serial"),
                    "title",
                    ("doc_type", "issued_on"),
                    ("secrecy", "urgency", "handling"),
                    "forwards_display",
                )
            },
        ),
        (
            "办理 Handling",
            {
                "fields": (
                    "state",
                    ("registration_display", "registered_at"),
                    ("received_at", "received_by"),
                    "instruction",
                    "due_at",
                    "closing_reason",
                    "completed_at",
                )
            },
        ),
        ("阅知情况 Acknowledgements", {"fields": ("acknowledgement_summary",)}),
        ("正文 Body", {"classes": ("collapse",), "fields": ("body",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notice]:
        user = request.user
        queryset = super().get_queryset(request)
        if isinstance(user, Person) and not user.is_superuser:
            queryset = queryset.filter(pk__in=visible_notices(user).values("pk"))
        return queryset.annotate(
            ack_total=_ack_count(), ack_confirmed=_ack_count(AckState.CONFIRMED)
        )

    def has_change_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        """Every field is read-only: "change" means acting through the 退回/撤回 services, which
        check their own permissions (register_notice, withdraw_notice) again."""
        user = request.user
        return (
            super().has_change_permission(request, obj)
            or user.has_perm("records.withdraw_notice")
            or user.has_perm("records.register_notice")
        )

    @admin.display(description="文号更正")
    def corrections_display(self, obj: Notice) -> SafeString:
        return corrections_html(obj.doc_number_corrections)

    @admin.display(description="转发文件")
    def forwards_display(self, obj: Notice) -> SafeString:
        return titles_html(obj.forwards)

    @admin.display(description="收文登记号", ordering="registered_at")
    def registration_display(self, obj: Notice) -> str:
        return obj.registration_no or "—"

    @admin.display(description="已确认/接收人数", ordering="ack_confirmed")
    def progress(self, obj: Notice) -> str:
        total = getattr(obj, "ack_total", 0)
        return f"{getattr(obj, 'ack_confirmed', 0)}/{total}" if total else "—"

    @admin.display(description="阅知进度")
    def acknowledgement_summary(self, obj: Notice) -> SafeString:
        if obj.pk is None:
            return format_html("{}", "—")
        rows = progress_by_unit(obj)
        table = format_html_join(
            "",
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    row["unit"] or "—",
                    row["unit_name"] or "",
                    row["total"],
                    row["pending"],
                    row["read"],
                    row["confirmed"],
                    row["returned"],
                    row["cancelled"],
                    row["overdue"],
                )
                for row in rows
            ),
        )
        first = (
            Acknowledgement.objects.filter(notice=obj)
            .select_related("person", "unit")
            .order_by("unit__sort_order", "person__username")[:ACKS_SHOWN]
        )
        people = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:records_acknowledgement_change", args=[ack.pk]),
                    ack.person.name,
                    ack.unit.code if ack.unit else "—",
                    ack.get_state_display(),
                    _when(ack.opened_at),
                    _when(ack.confirmed_at),
                )
                for ack in first
            ),
        )
        total = sum(row["total"] for row in rows)
        return format_html(
            "<table><thead><tr><th>机构</th><th>合计</th><th>待阅</th><th>已阅</th>"
            "<th>已确认</th><th>已退回</th><th>已取消</th><th>逾期</th></tr></thead>"
            "<tbody>{}</tbody></table>"
            "<p>前 {} 条 / first {}:</p>"
            "<table><thead><tr><th>接收人</th><th>机构</th><th>状态</th><th>首次打开</th>"
            "<th>确认时间</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">查看全部 {} 条阅知记录 / all {} acknowledgements</a> · '
            '<a href="{}">审计记录 / audit events</a></p>',
            table,
            min(total, ACKS_SHOWN),
            min(total, ACKS_SHOWN),
            people,
            _changelist_url("acknowledgement", notice__id__exact=obj.pk),
            total,
            total,
            _changelist_url("auditevent", notice__id__exact=obj.pk),
        )


@admin.register(CirculationRound)
class CirculationRoundAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    list_display = (
        "notice",
        "number",
        "forwarded_by",
        "forwarded_at",
        "unit_codes",
        "due_at",
        "recipients_added",
    )
    list_select_related = ("notice", "forwarded_by")
    list_filter = ("forwarded_at",)
    search_fields = ("notice__doc_number", "notice__title", "instruction")
    readonly_fields = ("unit_codes",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CirculationRound]:
        return super().get_queryset(request).prefetch_related("units")

    @admin.display(description="机构")
    def unit_codes(self, obj: CirculationRound) -> str:
        return "、".join(unit.code for unit in obj.units.all())


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    list_display = (
        "original_name",
        "notice",
        "extension",
        "content_type",
        "size",
        "short_sha256",
        "uploaded_by",
        "uploaded_at",
        "download",
    )
    list_select_related = ("notice", "uploaded_by")
    list_filter = ("extension", "uploaded_at")
    search_fields = ("original_name", "sha256", "notice__doc_number")
    # "download", not "file": a FileField shows its /media/ URL, which is not served.
    fields = (
        "notice",
        "original_name",
        "download",
        ("extension", "content_type", "size"),
        "sha256",
        "warnings_display",
        ("uploaded_by", "uploaded_at"),
    )
    readonly_fields = ("download", "warnings_display")

    @admin.display(description="SHA-256", ordering="sha256")
    def short_sha256(self, obj: Attachment) -> str:
        return f"{obj.sha256[:12]}…"

    @admin.display(description="文件")
    def download(self, obj: Attachment) -> SafeString:
        return download_link(admin_url(self, "download", obj.pk), "下载原件")

    @admin.display(description="警告")
    def warnings_display(self, obj: Attachment) -> SafeString:
        return warnings_html(obj.warnings)

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

    def may_download(self, request: HttpRequest, obj: Attachment) -> bool:
        """Whoever sees attachments in the admin, or sees the attachment's notice (its page
        lists the attachment)."""
        if self.has_view_permission(request, obj):
            return True
        notice_admin = scoped_admin_for(self.admin_site, Notice)
        if notice_admin is None:
            return False
        notices = notice_admin.get_queryset(request).filter(pk=obj.notice_id)
        return bool(notice_admin.has_view_permission(request, obj.notice) and notices.exists())

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """The attachment's bytes under its original name, checked against its SHA-256."""
        obj = self.get_object(request, unquote(object_id))  # another organisation's: None
        if obj is None:
            raise Http404
        if not self.may_download(request, obj):
            raise PermissionDenied
        try:
            content = open_verified(
                lambda: obj.file.open("rb"),
                sha256=obj.sha256,
                size=obj.size,
                label=f"attachment {obj.pk} of notice {obj.notice_id} (admin)",
            )
        except SealedFileAltered:
            return refused(
                request, ALTERED, reverse("admin:records_notice_change", args=[obj.notice_id])
            )
        return file_response(
            content,
            filename=obj.original_name,
            content_type=obj.content_type or "application/octet-stream",
        )
