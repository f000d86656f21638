"""阅知确认 admin: read-only records; the recipient's 已阅/确认/退回 buttons call the services."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.admin.transitions import (
    AdminTransition,
    ReadOnlyRecordMixin,
    TransitionAdminMixin,
)
from circulation.records.models import Acknowledgement
from workflows.machines import ACK_OPEN_STATES
from workflows.services.acknowledging import (
    confirm_acknowledgement,
    open_acknowledgement,
    return_acknowledgement,
)

ONLY_RECIPIENT = (
    "只有接收人本人可以标记已阅、确认或退回阅知记录。"
    " / Only the recipient can mark an acknowledgement read, confirm or return it."
)

ACK_TRANSITIONS = (
    AdminTransition(
        name="read",
        label="标记已阅 Mark read",
        fsm_method="mark_read",
        run=lambda actor, ack, data: open_acknowledgement(actor, ack.pk),
        success="已标记为已阅 / Marked read",
    ),
    AdminTransition(
        name="confirm",
        label="确认 Confirm",
        fsm_method="confirm",
        run=lambda actor, ack, data: confirm_acknowledgement(
            actor, ack.pk, comment=data.text, password=data.password or None
        ),
        success="已确认阅知 / Confirmed",
    ),
    AdminTransition(
        name="return",
        label="退回 Return",
        fsm_method="return_notice",
        run=lambda actor, ack, data: return_acknowledgement(actor, ack.pk, data.text),
        success="已退回 / Returned",
        needs_text=True,
        danger=True,
    ),
)


class OverdueFilter(admin.SimpleListFilter):
    title = "逾期"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "逾期未确认")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(state__in=ACK_OPEN_STATES, due_at__lt=timezone.now())
        return queryset


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyRecordMixin, TransitionAdminMixin, OrganisationScopedAdmin):
    organisation_path = "notice__organisation"
    transitions = ACK_TRANSITIONS
    transition_text_label = "学习体会（确认时选填）/ 退回原因（退回时必填） Comment / reason"
    transition_help = ONLY_RECIPIENT
    list_display = (
        "notice",
        "person",
        "unit",
        "state",
        "due_at",
        "opened_at",
        "confirmed_at",
        "confirm_method",
        "reminders_sent",
    )
    list_select_related = ("notice", "person", "unit")
    list_filter = ("state", OverdueFilter, "confirm_method", "unit", "due_at")
    search_fields = (
        "person__username",
        "person__display_name",
        "notice__doc_number",
        "notice__title",
    )
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "notice",
        ("person", "unit"),
        "round",
        "state",
        "due_at",
        ("opened_at", "confirmed_at"),
        "comment",
        ("confirm_method", "confirm_ip"),
        ("returned_at", "return_reason"),
        "cancelled_at",
        ("reminders_sent", "escalations"),
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Acknowledgement]:
        return super().get_queryset(request).select_related("notice", "person", "unit", "round")

    def transition_refusal(self, request: HttpRequest, obj: Acknowledgement) -> str | None:
        # The services act only for the recipient (anyone else gets "not found").
        if obj.person_id != request.user.pk:
            return ONLY_RECIPIENT
        return None

    def transition_extra_context(
        self, request: HttpRequest, obj: Acknowledgement
    ) -> dict[str, Any]:
        organisation = obj.notice.organisation
        return {"transition_password": organisation.require_password_on_confirm}
