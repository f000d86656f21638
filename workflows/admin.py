"""Workflows admin: the working calendar (节假日/调休), the reminder policy (催办规则), the
records of the clockwork (reminders, manual reminders, sweep runs), the delegations (代理: read
only, cancelled through the service) and, from
:mod:`workflows.delivery.admin`, the outbox, its attempts, notifications, group robots and
preferences.

Periodic schedules themselves are django-celery-beat's admin (周期任务 Periodic tasks).
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

import workflows.delivery.admin  # noqa: F401 - registers the delivery admins
from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.admin.transitions import ReadOnlyRecordMixin, admin_actor
from circulation.records.errors import DomainError
from workflows.calendar import derived_calendar
from workflows.models import (
    CalendarDay,
    Delegation,
    DelegationStatus,
    ManualRemind,
    Reminder,
    ReminderPolicy,
    SweepRun,
)
from workflows.services.delegation import cancel_delegation


@admin.register(CalendarDay)
class CalendarDayAdmin(OrganisationScopedAdmin):
    organisation_path = None  # the official calendar: every organisation's
    list_display = ("date", "is_working_day", "name")
    list_filter = ("is_working_day",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)
    change_list_template = "admin/workflows/calendarday/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Below the entries: the derived (暂定) statutory holidays of the years after the
        official data, and which of them an entry overrides."""
        derived = derived_calendar(timezone.localdate())
        context = {"derived_calendar": derived, "official_last_year": min(derived) - 1}
        return super().changelist_view(request, {**context, **(extra_context or {})})


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(OrganisationScopedAdmin):
    organisation_path = "organisation"
    list_display = (
        "organisation",
        "enabled",
        "due_soon_working_days",
        "escalate_to_head_after",
        "escalate_to_clerk_after",
        "max_delivery_attempts",
    )
    list_filter = ("enabled",)
    list_select_related = ("organisation",)
    fieldsets = (
        (None, {"fields": ("organisation", "enabled")}),
        (
            "提醒与升级 Reminders and escalation",
            {
                "fields": (
                    "due_soon_working_days",
                    "overdue_every_working_days",
                    "escalate_to_head_after",
                    "escalate_to_clerk_after",
                    "urgent_cadence_hours",
                    "extra_urgent_cadence_hours",
                    "manual_remind_interval_minutes",
                )
            },
        ),
        ("投递 Delivery", {"fields": ("max_delivery_attempts",)}),
    )


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    list_display = ("created_at", "kind", "notice", "recipient", "window_key", "digest_id")
    list_filter = ("kind",)
    search_fields = (
        "notice__doc_number",
        "notice__title",
        "recipient__username",
        "recipient__display_name",
        "window_key",
    )
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("notice", "recipient")


@admin.register(ManualRemind)
class ManualRemindAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    list_display = ("requested_at", "notice", "requested_by", "recipients")
    search_fields = ("notice__doc_number", "notice__title", "requested_by__username")
    date_hierarchy = "requested_at"
    ordering = ("-requested_at", "-id")
    list_select_related = ("notice", "requested_by")


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = None  # one sweep serves every organisation: counts only
    list_display = (
        "started_at",
        "kind",
        "finished_at",
        "as_of",
        "claimed",
        "reminders",
        "digests",
        "skipped_reason",
        "error",
    )
    list_filter = ("kind",)
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")


class DelegationStatusFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status.value, str(status.label)) for status in DelegationStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        open_ = Q(cancelled_at__isnull=True)
        match self.value():
            case DelegationStatus.CANCELLED:
                return queryset.filter(cancelled_at__isnull=False)
            case DelegationStatus.UPCOMING:
                return queryset.filter(open_, starts_at__gt=now)
            case DelegationStatus.ENDED:
                return queryset.filter(open_, ends_at__lte=now)
            case DelegationStatus.ACTIVE:
                return queryset.filter(open_, starts_at__lte=now, ends_at__gt=now)
        return queryset


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    """代理: appointed by the people themselves (or an administrator) through the service; here
    read only, with 取消 (cancel) as an action that calls ``cancel_delegation`` for each row
    (audited; a delegation already over is refused and left as it was)."""

    organisation_path = "principal__organisation"
    list_display = (
        "principal",
        "delegate",
        "period",
        "reason",
        "status_shown",
        "cancelled_at",
        "created_by",
    )
    list_filter = (DelegationStatusFilter, "starts_at", "cancelled_at")
    search_fields = (
        "principal__username",
        "principal__display_name",
        "delegate__username",
        "delegate__display_name",
        "reason",
    )
    date_hierarchy = "starts_at"
    ordering = ("-starts_at", "-id")
    list_select_related = ("principal", "delegate", "created_by")
    actions = ("cancel_selected",)

    @admin.display(description="代理期间", ordering="starts_at")
    def period(self, delegation: Delegation) -> str:
        start = timezone.localtime(delegation.starts_at)
        end = timezone.localtime(delegation.ends_at)
        return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"

    @admin.display(description="状态")
    def status_shown(self, delegation: Delegation) -> str:
        return str(delegation.status_at(timezone.now()).label)

    @admin.action(description="取消所选代理", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Delegation]) -> None:
        actor = admin_actor(request)
        unchanged = queryset.filter(cancelled_at__isnull=False).count()
        cancelled = 0
        refused: list[str] = []
        for delegation in queryset.filter(cancelled_at__isnull=True).order_by("pk"):
            try:
                cancel_delegation(actor, delegation.pk)
            except DomainError as exc:
                refused.append(f"#{delegation.pk}: {exc.message} / {exc.message_en}")
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                f"已取消 {cancelled} 项代理 / {cancelled} delegation(s) cancelled",
                messages.SUCCESS,
            )
        if unchanged:
            self.message_user(
                request,
                f"{unchanged} 项此前已取消，未变 / {unchanged} already cancelled, unchanged",
                messages.INFO,
            )
        for refusal in refused:
            self.message_user(request, refusal, messages.ERROR)
