import threading
from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnDict

from circulation.api.fields import PlainCharField, RuleTextField
from circulation.api.serializers.base import BuiltOnceModelSerializer
from circulation.records.models import Acknowledgement
from circulation.records.validation import COMMENT
from workflows.machines import ACK_OPEN_STATES


class AcknowledgementSerializer(BuiltOnceModelSerializer[Acknowledgement]):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    doc_number = serializers.CharField(source="notice.doc_number", read_only=True)
    title = serializers.CharField(source="notice.title", read_only=True)
    urgency = serializers.CharField(source="notice.urgency", read_only=True)
    urgency_label = serializers.CharField(source="notice.get_urgency_display", read_only=True)
    instruction = serializers.CharField(source="round.instruction", read_only=True)
    unit = serializers.CharField(source="unit.code", default=None, read_only=True)
    recipient = serializers.CharField(
        source="person.username", read_only=True, help_text="接收人 / whose item it is"
    )
    recipient_name = serializers.CharField(source="person.name", read_only=True)
    acted_by = serializers.CharField(
        source="acted_by.username",
        default=None,
        read_only=True,
        help_text="代理人：代接收人办理者 / the delegate who answered for the recipient",
    )

    class Meta:
        model = Acknowledgement
        fields = [
            "id",
            "notice",
            "recipient",
            "recipient_name",
            "acted_by",
            "doc_number",
            "title",
            "urgency",
            "urgency_label",
            "instruction",
            "unit",
            "due_at",
            "state",
            "state_label",
            "opened_at",
            "confirmed_at",
            "comment",
            "confirm_method",
            "returned_at",
            "return_reason",
            "cancelled_at",
            "reminders_sent",
        ]
        read_only_fields = fields


_per_thread = threading.local()


def acknowledgement_answer(ack: Acknowledgement) -> ReturnDict[str, Any]:
    """``AcknowledgementSerializer(ack).data``, from a serializer built once per thread.

    DRF deep-copies and binds the ~20 fields for every serializer instance: a seventh of a
    confirm's Python time, for an answer (read, confirm, return) that shows one object. The
    fields keep nothing of the objects they represent and none reads the request, so one bound
    set serves every answer of the thread.
    """
    serializer = getattr(_per_thread, "serializer", None)
    if serializer is None:
        serializer = _per_thread.serializer = AcknowledgementSerializer()
    return ReturnDict(serializer.to_representation(ack), serializer=serializer)


class ConfirmSerializer(serializers.Serializer[Any]):
    comment = RuleTextField(COMMENT, required=False, allow_blank=True, default="")
    password = PlainCharField(
        name_zh="密码",
        name_en="password",
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=256,
    )


class RecipientRowSerializer(BuiltOnceModelSerializer[Acknowledgement]):
    """One recipient of a notice, as the clerk (all rows) or a unit head (their unit's) sees it."""

    username = serializers.CharField(source="person.username", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True, help_text="姓名")
    unit = serializers.CharField(source="unit.code", default=None, read_only=True)
    unit_name = serializers.CharField(source="unit.name", default=None, read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    reminders = serializers.IntegerField(source="reminders_sent", read_only=True)
    overdue = serializers.SerializerMethodField(help_text="逾期未确认 / late")

    class Meta:
        model = Acknowledgement
        fields = [
            "id",
            "username",
            "name",
            "unit",
            "unit_name",
            "state",
            "state_label",
            "due_at",
            "overdue",
            "opened_at",
            "confirmed_at",
            "returned_at",
            "return_reason",
            "reminders",
            "escalations",
        ]
        read_only_fields = fields

    def get_overdue(self, ack: Acknowledgement) -> bool:
        now = self.context.get("now") or timezone.now()
        return ack.state in ACK_OPEN_STATES and ack.due_at is not None and ack.due_at < now
