"""``POST /api/v1/notices/extract/`` (从文件导入): the registration fields found in a file
(multipart ``file``: TXT, DOCX, PDF, OFD) or in pasted text (``{"text": …}``), nothing saved.
For those who may register (clerks); the permission is checked before an upload is read."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.api.actor import actor_from
from circulation.api.serializers.intake import ExtractResponseSerializer, ExtractTextSerializer
from circulation.intake import service
from circulation.limits import UploadGate, too_large
from circulation.records.errors import InvalidInput


class ExtractView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        wrapped = super().initialize_request(request, *args, **kwargs)
        gate = UploadGate(request, lambda: service.require_clerk(request.user))  # type: ignore[arg-type]
        request.upload_handlers = [gate, *request.upload_handlers]
        return wrapped

    @extend_schema(
        operation_id="notice_extract",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
            "application/json": ExtractTextSerializer,
        },
        responses={200: ExtractResponseSerializer},
        examples=[
            OpenApiExample(
                "粘贴文字 / pasted text",
                value={"text": "舞阳县工业和信息化局文件\n舞工信[2022]25号\n关于……的通知\n……"},
                request_only=True,
            )
        ],
        description=(
            "从 TXT（UTF-8/GBK 自动识别）、DOCX、PDF（文字版）、OFD 文件或粘贴的文字中"
            "识别登记信息，每项带可信度（high/medium/low）和来源行号；不保存任何内容。"
            "缺少文号或标题时仍返回 200，missing 列出需手工补全的项。"
            " / Extracts the registration fields; saves nothing."
        ),
    )
    def post(self, request: Request) -> Response:
        user = actor_from(request).user
        service.require_clerk(user)
        # The path takes a file up to the attachment limit; pasted text only the usual body.
        limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if not request.content_type.startswith("multipart/") and _length(request) > limit:
            raise too_large(limit)
        upload = request.FILES.get("file") if hasattr(request.data, "getlist") else None
        if upload is not None:
            data = upload.read()
            extraction = service.extract_upload(user, upload.name or "", data)
        elif isinstance(request.data, dict) or hasattr(request.data, "get"):
            if request.data.get("text") is None:
                raise InvalidInput(
                    "请上传文件（file）或粘贴文字（text）",
                    "Send a file (multipart field file) or the text (JSON field text)",
                    code="required",
                    field="file",
                )
            body = ExtractTextSerializer(data={"text": request.data.get("text")})
            body.is_valid(raise_exception=True)
            extraction = service.extract_pasted(user, body.validated_data["text"])
        else:
            raise InvalidInput("请求格式不正确", "Malformed request", field="file")
        return Response(extraction.as_dict())


def _length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
