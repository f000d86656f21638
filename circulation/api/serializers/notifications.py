"""站内通知 and 人工催办 answers."""

from typing import Any

from rest_framework import serializers

from workflows.models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    unread = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "body",
            "link",
            "notice",
            "created_at",
            "read_at",
            "unread",
        ]
        read_only_fields = fields

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


class RemindResponseSerializer(serializers.Serializer[Any]):
    reminded = serializers.IntegerField(help_text="催办人数 / people reminded")
    messages = serializers.IntegerField(help_text="待发消息数 / outbox messages written")
    next_allowed_at = serializers.DateTimeField(
        help_text="下次可催办时间 / the next manual reminder is allowed from"
    )
