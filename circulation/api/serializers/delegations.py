"""代理 (delegation): what the API shows of a delegation and what appointing one takes."""

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from circulation.api.fields import PlainCharField, RuleTextField
from circulation.api.serializers.base import BuiltOnceModelSerializer
from workflows.models import Delegation, DelegationStatus
from workflows.services.delegation import REASON


class DelegationSerializer(BuiltOnceModelSerializer[Delegation]):
    principal = serializers.CharField(
        source="principal.username", read_only=True, help_text="被代理人 / principal"
    )
    principal_name = serializers.CharField(source="principal.name", read_only=True)
    delegate = serializers.CharField(
        source="delegate.username", read_only=True, help_text="代理人 / delegate"
    )
    delegate_name = serializers.CharField(source="delegate.name", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="upcoming 未开始 / active 生效中 / ended 已结束 / cancelled 已取消"
    )
    status_label = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "principal",
            "principal_name",
            "delegate",
            "delegate_name",
            "starts_at",
            "ends_at",
            "reason",
            "status",
            "status_label",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    def _status(self, delegation: Delegation) -> DelegationStatus:
        return delegation.status_at(self.context.get("now") or timezone.now())

    def get_status(self, delegation: Delegation) -> str:
        return self._status(delegation).value

    def get_status_label(self, delegation: Delegation) -> str:
        return str(self._status(delegation).label)


class AppointSerializer(serializers.Serializer[Any]):
    delegate = PlainCharField(
        name_zh="代理人", name_en="delegate", max_length=150, help_text="代理人的用户名 / username"
    )
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="开始时间，默认现在 / now"
    )
    ends_at = serializers.DateTimeField(help_text="结束时间（不含） / end (exclusive)")
    reason = RuleTextField(REASON, required=False, allow_blank=True, default="")
    principal = PlainCharField(
        name_zh="被代理人",
        name_en="principal",
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text="管理员为他人设置时填写 / an administrator appointing for someone else",
    )
