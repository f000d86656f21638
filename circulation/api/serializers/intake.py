"""``POST /api/v1/notices/extract/``: the request (a file or text) and the answer's shape."""

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from circulation.intake.extraction import MAX_PASTED_CHARS


class ExtractTextSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(
        max_length=MAX_PASTED_CHARS,
        trim_whitespace=False,
        help_text="公文全文（粘贴） / the document's text, pasted",
    )


class FoundFieldSerializer(serializers.Serializer[Any]):
    value = serializers.JSONField(help_text="识别出的值 / the value found")
    confidence = serializers.ChoiceField(
        ["high", "medium", "low"],
        help_text="high: 版式明确; medium: 从别处推断; low: 需核对 / how sure",
    )
    line = serializers.IntegerField(allow_null=True, help_text="来源行号（从 1 起） / source line")
    note = serializers.CharField(help_text="说明（中文）")
    note_en = serializers.CharField(help_text="explanation (English)")


class MessageSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    code = serializers.CharField(required=False)
    message = serializers.CharField()
    message_en = serializers.CharField()


class SourceSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    format = serializers.ChoiceField(["txt", "docx", "pdf", "ofd", "text"])
    encoding = serializers.CharField(allow_null=True)
    pages = serializers.IntegerField(allow_null=True)
    lines = serializers.IntegerField()


# "source" and "fields" are attributes of a Serializer class, hence inline_serializer.
ExtractResponseSerializer = inline_serializer(
    name="ExtractResponse",
    fields={
        "source": SourceSerializer(),
        "fields": serializers.DictField(
            child=FoundFieldSerializer(),
            help_text=(
                "issuer, doc_number (+ original, corrections), title (+ lines), doc_type, "
                "addressees (+ unit_kinds, units, unit_names, unmatched), body, attachments, "
                "issued_on, "
                "signature, signer, secrecy (+ label), urgency (+ label), forwards (+ items "
                "[{title, doc_number}]) — only those found"
            ),
        ),
        "missing": MessageSerializer(
            many=True, help_text="缺少的必填项 / required fields not found"
        ),
        "complete": serializers.BooleanField(
            help_text="文号、标题、发文机关齐全 / all required found"
        ),
        "warnings": MessageSerializer(many=True),
        "notice": serializers.DictField(
            help_text="可直接提交 POST /api/v1/notices/ 的字段（仅识别出的） / fields to register"
        ),
    },
)
