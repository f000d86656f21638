"""Notice input and output. Enum fields answer with the code and the Chinese label."""

from datetime import date
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from circulation.api.fields import LabeledChoiceField, PlainCharField, RuleTextField
from circulation.records import validation as rules
from circulation.records.models import Attachment, Handling, Notice, Urgency
from circulation.records.selectors import PROGRESS_KEYS
from workflows.services.forwarding import MAX_WORKING_DAYS
from workflows.services.registration import CLASSIFIED_LEVELS, refuse_classified

SECRECY_INPUT = {"public": "public", "公开": "public", "internal": "internal", "内部": "internal"}


class SecrecyField(serializers.CharField):
    """公开/内部 accepted; 秘密/机密/绝密 refused with the reason."""

    def to_internal_value(self, data: Any) -> str:
        text = str(super().to_internal_value(data)).strip()
        if text in CLASSIFIED_LEVELS:
            refuse_classified(text)
        value = SECRECY_INPUT.get(text, text)
        refuse_classified(value)
        return value


class NoticeCreateSerializer(serializers.Serializer[Any]):
    """Lengths and characters follow :mod:`circulation.records.validation` (README)."""

    doc_number = RuleTextField(rules.DOC_NUMBER)
    title = RuleTextField(rules.TITLE)
    issuer = RuleTextField(rules.ISSUER)
    doc_type = RuleTextField(rules.DOC_TYPE, required=False, allow_blank=True, default="")
    addressees = RuleTextField(
        rules.ADDRESSEES, required=False, allow_blank=True, default="", help_text="主送机关"
    )
    issued_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="成文日期 (1949-10-01 … 一年后)"
    )
    secrecy = SecrecyField(max_length=20)
    urgency = LabeledChoiceField(Urgency, required=False, default=Urgency.NORMAL)
    handling = LabeledChoiceField(Handling, required=False, default=Handling.READ)
    instruction = RuleTextField(rules.INSTRUCTION, required=False, allow_blank=True, default="")
    body = RuleTextField(rules.BODY, required=False, allow_blank=True, default="")
    forwards = serializers.ListField(
        child=RuleTextField(rules.FORWARDED_TITLE, allow_blank=True),
        required=False,
        default=list,
        max_length=rules.MAX_FORWARDED_TITLES,
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_issued_on(self, value: date | None) -> date | None:
        return rules.clean_issued_on(value)

    def to_internal_value(self, data: Any) -> Any:
        # ``forwards`` may arrive as one title instead of a list.
        if hasattr(data, "get") and isinstance(data.get("forwards"), str):
            data = {**data, "forwards": [data["forwards"]]}
        return super().to_internal_value(data)


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "size",
            "sha256",
            "content_type",
            "extension",
            "uploaded_at",
            "warnings",  # active content found at upload (bilingual), kept but flagged
        ]


class NoticeSerializer(serializers.ModelSerializer[Notice]):
    corrections = serializers.JSONField(source="doc_number_corrections", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    secrecy_label = serializers.CharField(source="get_secrecy_display", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    handling_label = serializers.CharField(source="get_handling_display", read_only=True)
    received_by = serializers.CharField(source="received_by.username", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "doc_number",
            "doc_number_original",
            "corrections",
            "issuer_code",
            "year",
            "serial",
            "title",
            "issuer",
            "doc_type",
            "addressees",
            "issued_on",
            "secrecy",
            "secrecy_label",
            "urgency",
            "urgency_label",
            "handling",
            "handling_label",
            "forwards",
            "instruction",
            "due_at",
            "state",
            "state_label",
            "received_at",
            "received_by",
            "registration_no",
            "registered_at",
            "completed_at",
            "closing_reason",
            "progress",
        ]
        read_only_fields = fields

    def get_progress(self, notice: Notice) -> dict[str, int] | None:
        if not hasattr(notice, "p_total"):
            return None
        return {key: getattr(notice, f"p_{key}") for key in PROGRESS_KEYS}


class MyAcknowledgementSerializer(serializers.Serializer[Any]):
    """The caller's own acknowledgement of the notice (times in +08:00 like every field)."""

    id = serializers.IntegerField()
    state = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class NoticeDetailSerializer(NoticeSerializer):
    body = serializers.CharField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    progress_by_unit = serializers.SerializerMethodField()
    my_acknowledgement = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = [
            *NoticeSerializer.Meta.fields,
            "body",
            "attachments",
            "progress_by_unit",
            "my_acknowledgement",
        ]
        read_only_fields = fields

    def get_progress_by_unit(self, notice: Notice) -> list[dict[str, Any]]:
        return list(self.context.get("progress_by_unit", []))

    @extend_schema_field(MyAcknowledgementSerializer(allow_null=True))
    def get_my_acknowledgement(self, notice: Notice) -> dict[str, Any] | None:
        mine = self.context.get("my_acknowledgement")
        return None if mine is None else dict(MyAcknowledgementSerializer(mine).data)


class ForwardSerializer(serializers.Serializer[Any]):
    units = serializers.ListField(
        child=PlainCharField(name_zh="机构代码或名称", name_en="unit code or name", max_length=100),
        required=False,
        default=list,
        max_length=500,
        help_text="机构代码（GYG）或机构全称（工业股） / unit codes or exact names",
    )
    people = serializers.ListField(
        child=PlainCharField(name_zh="用户名", name_en="username", max_length=150),
        required=False,
        default=list,
        max_length=20_000,
    )
    instruction = RuleTextField(rules.INSTRUCTION, required=False, allow_blank=True, default="")
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    due_working_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_WORKING_DAYS
    )


class ReasonSerializer(serializers.Serializer[Any]):
    reason = RuleTextField(rules.REASON)


class ForwardResponseSerializer(serializers.Serializer[Any]):
    state = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    recipients_added = serializers.IntegerField()
    round = serializers.IntegerField(allow_null=True)
    calendar_note = serializers.CharField(allow_null=True)
