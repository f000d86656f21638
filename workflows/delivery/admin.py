"""Delivery admin: the outbox (待发消息) with its attempts and a "retry now" action, digests,
in-app notifications, group robots (群机器人) and personal preferences.

Outbox records are written by the sweep and the delivery tasks only: they are shown read-only.
Robots and preferences are settings an admin edits.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from circulation.records.admin.scoping import OrganisationScopedAdmin
from circulation.records.admin.transitions import ReadOnlyRecordMixin
from workflows.delivery.requeue import retry_now
from workflows.models import (
    DeliveryAttempt,
    Digest,
    Message,
    Notification,
    NotificationPreference,
    WebhookChannel,
)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_address(message: Message) -> str:
    """A robot's URL carries its access token: show the robot's name instead."""
    robot = message.webhook if message.webhook_id is not None else None
    if robot is not None:
        return f"{robot.name}（{robot.get_kind_display()}）"
    return _short(message.address, 60)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("at", "ok", "error", "retry_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(Message)
class MessageAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "digest__recipient__organisation"
    list_display = (
        "id",
        "channel",
        "address_shown",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "error_shown",
    )
    # "address_shown", not "address": a robot's address may be its URL with the access token.
    fields = (
        "digest",
        "channel",
        "address_shown",
        "subject",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "sent_at",
        "created_at",
    )
    readonly_fields = ("address_shown",)
    list_filter = ("status", "channel")
    search_fields = ("address", "subject", "last_error")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_select_related = ("webhook",)
    inlines = (DeliveryAttemptInline,)
    actions = ("retry_selected",)

    @admin.display(description="地址")
    def address_shown(self, message: Message) -> str:
        return shown_address(message)

    @admin.display(description="最近错误")
    def error_shown(self, message: Message) -> str:
        return _short(message.last_error)

    def action_checkbox(self, obj: Message) -> SafeString:
        # The default label is str(obj), which holds the address (for a robot, maybe its URL).
        attrs = {
            "class": "action-select",
            "aria-label": f"选择 select #{obj.pk} {shown_address(obj)}",
        }
        return forms.CheckboxInput(attrs, lambda value: False).render(
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk)
        )

    @admin.action(description="立即重试", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = retry_now(ids)
        skipped = len(ids) - count
        self.message_user(
            request,
            f"已安排 {count} 条消息立即重试 / {count} message(s) queued for a retry now"
            + (f"；{skipped} 条已发送或正在发送，未变 / {skipped} unchanged" if skipped else ""),
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "message__digest__recipient__organisation"
    list_display = ("at", "message_id", "channel", "ok", "error_shown", "retry_at")
    list_filter = ("ok", "message__channel")
    search_fields = ("error", "message__address")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    list_select_related = ("message",)

    @admin.display(description="渠道")
    def channel(self, attempt: DeliveryAttempt) -> str:
        return attempt.message.get_channel_display()

    @admin.display(description="错误")
    def error_shown(self, attempt: DeliveryAttempt) -> str:
        return _short(attempt.error)


@admin.register(Digest)
class DigestAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "recipient__organisation"
    list_display = ("id", "recipient", "window_key", "title", "created_at")
    search_fields = ("title", "recipient__username", "recipient__display_name", "window_key")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("recipient",)
    readonly_fields = ("messages_link",)

    @admin.display(description="待发消息")
    def messages_link(self, digest: Digest) -> str:
        # A link, not an inline: an inline row prints each message's str(), with its address.
        url = reverse("admin:workflows_message_changelist") + f"?digest__id__exact={digest.pk}"
        return format_html('<a href="{}">{} 条 / messages</a>', url, digest.messages.count())


@admin.register(Notification)
class NotificationAdmin(ReadOnlyRecordMixin, OrganisationScopedAdmin):
    organisation_path = "person__organisation"
    list_display = ("created_at", "person", "title", "notice", "read_at")
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "person__username", "person__display_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("person", "notice")


class WebhookChannelForm(forms.ModelForm):
    url = forms.URLField(label="Webhook 地址", max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookChannel
        fields = ("organisation", "unit", "name", "kind", "url", "secret", "is_active")
        widgets = {"secret": forms.PasswordInput(render_value=True)}


@admin.register(WebhookChannel)
class WebhookChannelAdmin(OrganisationScopedAdmin):
    organisation_path = "organisation"
    form = WebhookChannelForm
    list_display = ("name", "kind", "organisation", "unit", "host", "signed", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "unit__name", "unit__code")
    list_select_related = ("organisation", "unit")
    raw_id_fields = ("unit",)

    @admin.display(description="主机")
    def host(self, channel: WebhookChannel) -> str:
        # Only the host: the rest of the URL is the robot's access token.
        from urllib.parse import urlsplit

        return urlsplit(channel.url).netloc

    @admin.display(description="加签", boolean=True)
    def signed(self, channel: WebhookChannel) -> bool:
        return bool(channel.secret)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(OrganisationScopedAdmin):
    organisation_path = "person__organisation"
    list_display = ("person", "email", "group_robot")
    list_filter = ("email", "group_robot")
    search_fields = ("person__username", "person__display_name")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
