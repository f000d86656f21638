"""批办 input and output: the 拟办意见, 批示, 承办 result and 答复; the 批办单 with its parts; a
leader's or a 承办 unit's pending items. Enum fields answer with the code and the label."""

from typing import Any

from rest_framework import serializers

from circulation.api.fields import LabeledChoiceField, PlainCharField, RuleTextField
from circulation.records import validation as rules
from circulation.records.models import (
    Assignment,
    HandlingCase,
    HandlingFile,
    Instruction,
    InstructionKind,
    Person,
    Reply,
    ReplyChannel,
    Unit,
)
from workflows.services import handling_common as common
from workflows.services.forwarding import MAX_WORKING_DAYS
from workflows.services.proposing import DEFAULT_WORKING_DAYS


def _unit_field(**kwargs: Any) -> PlainCharField:
    return PlainCharField(
        name_zh="机构代码或名称", name_en="unit code or name", max_length=100, **kwargs
    )


def _people_field(help_text: str, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=PlainCharField(name_zh="用户名", name_en="username", max_length=150),
        max_length=2000,
        help_text=help_text,
        **kwargs,
    )


class ProposalSerializer(serializers.Serializer[Any]):
    """拟办意见 (POST notices/{id}/handling/)."""

    text = RuleTextField(common.PROPOSAL, help_text="拟办意见 / the proposal")
    lead_unit = _unit_field(help_text="承办单位（主办）：代码或全称 / the lead unit")
    co_units = serializers.ListField(
        child=_unit_field(), required=False, default=list, max_length=100, help_text="协办单位"
    )
    readers = _people_field("传阅人员（用户名）/ readers", required=False, default=list)
    leaders = _people_field("送批示的领导（用户名）/ leaders asked for their 批示")
    due_working_days = serializers.IntegerField(
        required=False, default=DEFAULT_WORKING_DAYS, min_value=1, max_value=MAX_WORKING_DAYS
    )
    reply_expected = serializers.BooleanField(required=False, default=False, help_text="需要答复")
    skip_agree_notice = serializers.BooleanField(
        required=False, default=False, help_text="领导仅同意拟办意见时不通知我"
    )


class InstructSerializer(serializers.Serializer[Any]):
    """批示 (POST handling/instructions/{id}/): ``kind`` text 批示 / agree 同意拟办意见 / circle
    圈阅. Only a text 批示 may change the 承办 unit, the 协办 units or the readers (a field
    left out is unchanged; an empty list clears it)."""

    kind = LabeledChoiceField(InstructionKind)
    text = RuleTextField(common.INSTRUCTION_TEXT, required=False, allow_blank=True, default="")
    lead_unit = _unit_field(required=False, allow_null=True, default=None)
    co_units = serializers.ListField(
        child=_unit_field(), required=False, allow_null=True, default=None, max_length=100
    )
    readers = _people_field("改定传阅人员", required=False, allow_null=True, default=None)


class ResultSerializer(serializers.Serializer[Any]):
    text = RuleTextField(common.RESULT, help_text="办理结果 / the result")


class ReplySerializer(serializers.Serializer[Any]):
    text = RuleTextField(common.REPLY, help_text="答复内容")
    replied_on = serializers.DateField(help_text="答复日期 (YYYY-MM-DD)")
    channel = LabeledChoiceField(ReplyChannel, help_text="答复方式")


class RecallSerializer(serializers.Serializer[Any]):
    """撤回 one recipient (POST notices/{id}/recall/)."""

    person = PlainCharField(name_zh="用户名", name_en="username", max_length=150)
    reason = RuleTextField(rules.REASON)


class UnitRefSerializer(serializers.ModelSerializer[Unit]):
    class Meta:
        model = Unit
        fields = ["code", "name"]
        read_only_fields = fields


class PersonRefSerializer(serializers.ModelSerializer[Person]):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Person
        fields = ["username", "name"]
        read_only_fields = fields


class HandlingFileSerializer(serializers.ModelSerializer[HandlingFile]):
    """A file of a 办理结果 or a 答复 (download: GET handling/files/{id}/)."""

    name = serializers.CharField(source="original_name", read_only=True)

    class Meta:
        model = HandlingFile
        fields = ["id", "name", "size", "sha256", "content_type", "extension", "uploaded_at"]
        read_only_fields = fields


class InstructionSerializer(serializers.ModelSerializer[Instruction]):
    leader = PersonRefSerializer(read_only=True)
    acted_by = PersonRefSerializer(read_only=True, allow_null=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    lead_unit = UnitRefSerializer(read_only=True, allow_null=True)
    co_units = serializers.SerializerMethodField()
    readers = serializers.SerializerMethodField()

    class Meta:
        model = Instruction
        fields = [
            "id",
            "leader",
            "state",
            "state_label",
            "kind",
            "kind_label",
            "text",
            "lead_unit",
            "co_units",
            "readers",
            "given_at",
            "acted_by",
        ]
        read_only_fields = fields

    def get_co_units(self, instruction: Instruction) -> list[dict[str, str]] | None:
        """``null`` unless this 批示 changed the 协办 units."""
        if not instruction.co_units_changed:
            return None
        return [{"code": u.code, "name": u.name} for u in instruction.co_units.all()]

    def get_readers(self, instruction: Instruction) -> list[dict[str, str]] | None:
        """``null`` unless this 批示 changed the readers."""
        if not instruction.readers_changed:
            return None
        return [{"username": p.username, "name": p.name} for p in instruction.readers.all()]


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    unit = UnitRefSerializer(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    accepted_by = PersonRefSerializer(read_only=True, allow_null=True)
    result_by = PersonRefSerializer(read_only=True, allow_null=True)
    attachments = HandlingFileSerializer(many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "unit",
            "role",
            "role_label",
            "state",
            "state_label",
            "due_at",
            "calendar_note",
            "assigned_at",
            "accepted_at",
            "accepted_by",
            "result",
            "result_at",
            "result_by",
            "attachments",
        ]
        read_only_fields = fields


class ReplyOutSerializer(serializers.ModelSerializer[Reply]):
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    recorded_by = PersonRefSerializer(read_only=True)
    attachments = HandlingFileSerializer(many=True, read_only=True)

    class Meta:
        model = Reply
        fields = [
            "id",
            "text",
            "replied_on",
            "channel",
            "channel_label",
            "recorded_by",
            "recorded_at",
            "attachments",
        ]
        read_only_fields = fields


class NoticeRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    doc_number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    urgency = serializers.CharField()


class HandlingCaseSerializer(serializers.ModelSerializer[HandlingCase]):
    notice = NoticeRefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    proposed_by = PersonRefSerializer(read_only=True)
    lead_unit = UnitRefSerializer(read_only=True)
    co_units = UnitRefSerializer(many=True, read_only=True)
    readers = PersonRefSerializer(many=True, read_only=True)
    instructions = InstructionSerializer(many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    replies = ReplyOutSerializer(many=True, read_only=True)

    class Meta:
        model = HandlingCase
        fields = [
            "id",
            "notice",
            "state",
            "state_label",
            "proposal",
            "proposed_by",
            "proposed_at",
            "lead_unit",
            "co_units",
            "readers",
            "due_working_days",
            "reply_expected",
            "skip_agree_notice",
            "undertaking_at",
            "done_at",
            "instructions",
            "assignments",
            "replies",
        ]
        read_only_fields = fields


class PendingInstructionSerializer(serializers.ModelSerializer[Instruction]):
    """A leader's 待批示 item."""

    notice = NoticeRefSerializer(source="case.notice", read_only=True)
    proposal = serializers.CharField(source="case.proposal", read_only=True)
    proposed_by = PersonRefSerializer(source="case.proposed_by", read_only=True)
    proposed_at = serializers.DateTimeField(source="case.proposed_at", read_only=True)
    lead_unit = UnitRefSerializer(source="case.lead_unit", read_only=True)

    class Meta:
        model = Instruction
        fields = ["id", "notice", "proposal", "proposed_by", "proposed_at", "lead_unit"]
        read_only_fields = fields


class PendingAssignmentSerializer(AssignmentSerializer):
    """A 承办 unit's open item."""

    notice = NoticeRefSerializer(source="case.notice", read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = ["id", "notice", "unit", "role", "role_label", "state", "state_label", "due_at"]
        read_only_fields = fields


class PendingSerializer(serializers.Serializer[Any]):
    instructions = PendingInstructionSerializer(many=True)
    assignments = PendingAssignmentSerializer(many=True)
