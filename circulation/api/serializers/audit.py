from rest_framework import serializers

from circulation.records.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    id = serializers.IntegerField(source="seq", read_only=True)
    actor = serializers.CharField(source="actor_username", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "from_state",
            "to_state",
            "data",
            "ip",
            "hash",
            "prev_hash",
        ]
        read_only_fields = fields


class ChainReportSerializer(serializers.Serializer[dict[str, object]]):
    ok = serializers.BooleanField()
    events_checked = serializers.IntegerField()
    first_bad_event = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(required=False)
    checkpoint = serializers.DictField(required=False)
