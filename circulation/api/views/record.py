"""``GET /api/v1/notices/<id>/record.pdf``: the notice's 阅知确认单 over the API."""

from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.ackrecord.access import record_notice
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import current_record
from circulation.ackrecord.serving import RecordPending, content_disposition, record_for_download
from circulation.api.actor import actor_from
from circulation.archive.downloads import open_sealed_record, sealed_record_of
from workflows.services.downloads import record_download


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """Errors are JSON even for a client that asked only for ``application/pdf``."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Exception:
            return (renderers[0], renderers[0].media_type)


class RecordPdfView(APIView):
    """The notice's 阅知确认单 (PDF/A-3b), regenerated only when its data changed; audited.

    After archiving: the sealed, stamped file (SHA-256 ``record_sha256``), read once and hashed
    as it is sent. Before: the stored rendition when current; a small record is rendered in the
    request, a big one by the worker (202 + ``Retry-After`` meanwhile; ``serving.py``).
    """

    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="v1_notices_record_pdf",
        summary="阅知确认单 PDF (the acknowledgement record)",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="阅知确认单 (PDF/A-3b)"
            ),
            404: OpenApiResponse(
                description="收文不存在，或无权查看完整确认单（仅收发员、档案员、管理员、机关领导）"
            ),
            202: OpenApiResponse(
                description="确认单正在由后台生成 (record_rendering)，按 Retry-After 秒后重试"
            ),
            409: OpenApiResponse(
                description="附件或归档文件与登记的 SHA-256 不符 (attachment_altered, file_altered)"
            ),
            503: OpenApiResponse(description="渲染失败或超出内存限制 (render_failed)"),
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse | Response:
        actor = actor_from(request)
        notice = record_notice(actor.user, pk)
        sealed = sealed_record_of(notice.pk)
        if sealed is not None:  # archived: the sealed, stamped file (SHA-256 = record_sha256)
            frozen = RecordRendition.objects.get(notice_id=notice.pk, frozen=True)
            content = open_sealed_record(sealed)
            record_download(
                actor,
                frozen,
                sealed_sha256=sealed.record_sha256,
                archival_code=sealed.archival_code,
            )
            response = FileResponse(content.chunks, content_type="application/pdf")
            response["Content-Length"] = str(content.size)
            response["X-Record-SHA256"] = sealed.record_sha256
            response["X-Archival-Code"] = quote(sealed.archival_code)
            return _record_headers(response, notice.doc_number, frozen)
        answer = record_for_download(notice, actor=actor)
        if isinstance(answer, RecordPending):
            return _pending_response(answer)
        try:
            handle = answer.file.open("rb")
        except FileNotFoundError:  # pruned by a newer rendition meanwhile: serve that one
            answer = current_record(notice, actor=actor)
            handle = answer.file.open("rb")
        record_download(actor, answer)
        response = FileResponse(handle, content_type="application/pdf")
        response["Content-Length"] = str(answer.size)
        response["X-Record-SHA256"] = answer.sha256
        return _record_headers(response, notice.doc_number, answer)


def _record_headers(
    response: FileResponse, doc_number: str, rendition: RecordRendition
) -> FileResponse:
    response["Content-Disposition"] = content_disposition(doc_number)
    response["X-Record-Id"] = str(rendition.pk)
    response["Cache-Control"] = "private, no-store"
    return response


def _pending_response(pending: RecordPending) -> Response:
    seconds = pending.retry_after
    body = {
        "code": "record_rendering",
        "detail": f"确认单正在生成，请在 {seconds} 秒后重试",
        "detail_en": f"The record is being rendered; try again in {seconds} s",
        "retry_after": seconds,
        "errors": [],
    }
    response = Response(body, status=202)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response
