"""Workflows admin: the working calendar (节假日/调休), the reminder policy (催办规则), the
records of the clockwork (reminders, manual reminders, sweep runs) and, from
:mod:`workflows.delivery.admin`, the outbox, its attempts, notifications, group robots and
preferences.

Periodic schedules themselves are django-celery-beat's admin (周期任务 Periodic tasks).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

import workflows.delivery.admin  # noqa: F401 - registers the delivery admins
from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.admin.transitions import ReadOnlyRecordMixin
from workflows.calendar import derived_calendar
from workflows.models import CalendarDay, ManualRemind, Reminder, ReminderPolicy, SweepRun


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
