"""Archive API input and output. Enum fields answer with the code and the Chinese label."""

from typing import Any
from urllib.parse import quote

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from circulation.api.fields import PlainCharField
from circulation.archive.models import ArchivedRecord
from circulation.records.models import Secrecy


class ArchiveRequestSerializer(serializers.Serializer[Any]):
    retention = PlainCharField(
        name_zh="保管期限",
        name_en="retention",
        max_length=10,
        help_text="保管期限: Y | D30 | D10 (或 永久 | 定期30年 | 定期10年)",
    )
    unit = PlainCharField(
        name_zh="机构代码",
        name_en="unit code",
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text="机构（问题）代码",
    )


def record_url(record: ArchivedRecord, suffix: str = "") -> str:
    return f"/api/v1/archive/{quote(record.archival_code)}/{suffix}"


class ArchivedRecordSerializer(serializers.ModelSerializer[ArchivedRecord]):
    notice = serializers.IntegerField(source="notice_id", read_only=True)
    retention_label = serializers.CharField(source="get_retention_display", read_only=True)
    unit = serializers.CharField(source="unit_code", read_only=True)
    date = serializers.DateField(source="issued_on", read_only=True)
    date_text = serializers.CharField(read_only=True, help_text="日期, YYYYMMDD")
    secrecy_label = serializers.SerializerMethodField()
    archived_by = serializers.CharField(source="archived_by.username", read_only=True)
    urls = serializers.SerializerMethodField()

    class Meta:
        model = ArchivedRecord
        fields = [
            "archival_code",
            "record_sha256",
            "fonds_code",
            "year",
            "retention",
            "retention_label",
            "unit",
            "item_no",
            "doc_number",
            "title",
            "issuer",
            "date",
            "date_text",
            "secrecy",
            "secrecy_label",
            "page_count",
            "record_size",
            "remarks",
            "notice",
            "archived_at",
            "archived_by",
            "urls",
        ]
        read_only_fields = fields

    def get_secrecy_label(self, record: ArchivedRecord) -> str:
        return str(Secrecy(record.secrecy).label) if record.secrecy in Secrecy.values else ""

    def get_urls(self, record: ArchivedRecord) -> dict[str, str]:
        return {
            "detail": record_url(record),
            "record_pdf": record_url(record, "record.pdf"),
            "verify": record_url(record, "verify/"),
        }


class ArchivedRecordDetailSerializer(ArchivedRecordSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    archived_by_name = serializers.CharField(source="archived_by.name", read_only=True)
    attachments = serializers.SerializerMethodField()
    checks_report = serializers.SerializerMethodField()

    class Meta(ArchivedRecordSerializer.Meta):
        fields = [
            *ArchivedRecordSerializer.Meta.fields,
            "unit_name",
            "archived_by_name",
            "date_is_receipt",
            "rendition_sha256",
            "attachments",
            "checks_report",
        ]
        read_only_fields = fields

    def get_attachments(self, record: ArchivedRecord) -> list[dict[str, Any]]:
        return [
            {
                key: entry.get(key)
                for key in ("id", "name", "extension", "content_type", "size", "sha256")
            }
            | {"url": record_url(record, f"attachments/{entry.get('id')}/")}
            for entry in record.attachments
            if isinstance(entry, dict)
        ]

    def get_checks_report(self, record: ArchivedRecord) -> dict[str, Any]:
        """The stored 四性 report, its ``checked_at`` in +08:00 like every time we answer with
        (reports sealed before were stored in UTC)."""
        report = dict(record.checks_report or {})
        checked = report.get("checked_at")
        if isinstance(checked, str):
            moment = parse_datetime(checked)
            if moment is not None and timezone.is_aware(moment):
                report["checked_at"] = timezone.localtime(moment).isoformat()
        return report


class SignatureSummarySerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    signer = serializers.CharField(allow_null=True)
    signed_at = serializers.CharField(allow_null=True, help_text="ISO 8601, +08:00")
    timestamped = serializers.BooleanField()
    message = serializers.CharField()
    message_en = serializers.CharField()


class VerifyResultSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    sha256 = serializers.CharField(allow_null=True)
    checked_at = serializers.DateTimeField()
    problems = serializers.ListField(child=serializers.DictField())
    checks = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="every check, passed or not: {code, ok, message, message_en}",
    )
    sm3 = serializers.CharField(allow_null=True, required=False)
    signature = SignatureSummarySerializer(
        allow_null=True, required=False, help_text="null when the record was archived unsigned"
    )


class ArchivePageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    count_capped = serializers.BooleanField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ArchivedRecordSerializer(many=True)
