"""审计日志 admin: read-only for everyone (no add, change or delete), plus a chain check."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from circulation.archive.checkpoint import verify_audit_log
from circulation.records.admin.display import (
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    STATE_LABELS,
    data_html,
    labelled_code,
)
from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.audit import Scope
from circulation.records.models import AuditAction, AuditEvent

ACTION_FAMILIES = {
    "notice": "收文",
    "ack": "阅知确认",
    "handling": "批办",
    "record": "阅知确认单",
    "archive": "档案",
    "auth": "登录",
}


class ActionFilter(admin.SimpleListFilter):
    """A fixed list: no SELECT DISTINCT over an ever-growing table."""

    title = "动作"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        prefixes = [
            (f"{family}.*", f"{label}（全部） {family}.*")
            for family, label in ACTION_FAMILIES.items()
        ]
        return prefixes + [
            (action.value, f"{action.label} {action.value}") for action in AuditAction
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value.endswith(".*"):
            return queryset.filter(action__startswith=value[:-1])
        return queryset.filter(action=value)


@admin.register(AuditEvent)
class AuditEventAdmin(OrganisationScopedAdmin):
    organisation_path = "notice__organisation"

    def organisation_q(self, organisation_id: int) -> Q:
        """A notice's events, and an event about no notice by someone of the organisation."""
        return Q(notice__organisation=organisation_id) | Q(
            notice__isnull=True, actor__organisation=organisation_id
        )

    list_display = (
        "seq",
        "at",
        "actor_username",
        "action_display",
        "notice",
        "object_display",
        "from_state_display",
        "to_state_display",
        "ip",
        "short_hash",
    )
    list_display_links = ("seq", "action_display")
    list_select_related = ("notice",)
    list_filter = (ActionFilter, "at")
    search_fields = (
        "seq__exact",
        "actor_username",
        "action",
        "object_id",
        "notice__doc_number",
        "hash",
    )
    ordering = ("-seq",)
    list_per_page = 100
    show_full_result_count = False
    fields = (
        ("seq", "at"),
        ("actor", "actor_username", "ip"),
        "action_display",
        "notice",
        "object_display",
        ("from_state_display", "to_state_display"),
        "data_display",
        "prev_hash",
        "hash",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        names: list[str] = []
        for entry in self.fields:
            names.extend(entry if isinstance(entry, tuple) else (entry,))
        return names

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).select_related("notice", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    class Media:
        css = {"all": ("records/admin.css",)}

    @admin.display(description="哈希", ordering="hash")
    def short_hash(self, obj: AuditEvent) -> str:
        return f"{obj.hash[:12]}…"

    @admin.display(description="动作", ordering="action")
    def action_display(self, obj: AuditEvent) -> SafeString:
        return labelled_code(obj.action, ACTION_LABELS)

    @admin.display(description="对象", ordering="object_type")
    def object_display(self, obj: AuditEvent) -> SafeString:
        label = OBJECT_TYPE_LABELS.get(obj.object_type, obj.object_type)
        return format_html("{} {}", label, obj.object_id)

    @admin.display(description="原状态", ordering="from_state")
    def from_state_display(self, obj: AuditEvent) -> SafeString:
        return labelled_code(obj.from_state, STATE_LABELS)

    @admin.display(description="新状态", ordering="to_state")
    def to_state_display(self, obj: AuditEvent) -> SafeString:
        return labelled_code(obj.to_state, STATE_LABELS)

    @admin.display(description="数据")
    def data_display(self, obj: AuditEvent) -> SafeString:
        return data_html(obj.data)

    # --- 校验审计链 -----------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "verify/",
                self.admin_site.admin_view(self.verify_view),
                name="records_auditevent_verify",
            )
        ]
        return own + super().get_urls()

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("records.verify_audit"):
            raise PermissionDenied
        user = request.user
        # Like the API: the whole chain is checked, the report counts the user's organisation;
        # then the chain against the latest signed checkpoint (a rewritten chain fails there).
        scope = None if user.is_superuser else Scope(getattr(user, "organisation_id", None))
        verdict = verify_audit_log(scope)
        (messages.success if verdict.ok else messages.error)(request, verdict.message)
        return redirect(reverse("admin:records_auditevent_changelist"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        context["can_verify_audit"] = request.user.has_perm("records.verify_audit")
        return super().changelist_view(request, extra_context=context)
