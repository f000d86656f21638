"""``GET /api/v1/notices/<id>/handling-sheet.pdf``: the 处理笺 (阅办单) of a 批办 notice."""

from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from circulation.ackrecord.handling_sheet import content_disposition, sheet_notice
from circulation.api.actor import actor_from
from circulation.archive.downloads import open_sealed_sheet, sealed_record_of
from workflows.services.downloads import archive_download, handling_sheet


class _AnyAccept(DefaultContentNegotiation):
    """Errors are JSON even for a client that asked only for ``application/pdf``."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Exception:
            return (renderers[0], renderers[0].media_type)


class HandlingSheetPdfView(APIView):
    """The notice's 处理笺 (PDF/A-3b) as it stands now, rendered on request (one page: about
    0.15 s CPU in the render helper): the 拟办意见, each 批示, the 办理结果, the 传阅 readers, the
    答复. Each download is audited (``record.sheet_downloaded``).

    Once archived: the sealed 处理笺 (stamped with the 归档章 and signed like the record; SHA-256
    ``sheet_sha256``), read once and hashed as it is sent; audited as ``archive.downloaded``."""

    content_negotiation_class = _AnyAccept

    @extend_schema(
        operation_id="v1_notices_handling_sheet_pdf",
        summary="处理笺（阅办单）PDF (the handling sheet of a 批办 notice)",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="处理笺 (PDF/A-3b)；数据哈希在 X-Sheet-Content-Hash 头中",
            ),
            404: OpenApiResponse(
                description="收文不存在、无权查看（仅收发员、档案员、管理员、机关领导），"
                "或为阅知件 (not_action)"
            ),
            409: OpenApiResponse(
                description="有字体无法显示的字符 (missing_glyphs)；"
                "已归档的处理笺与归档时的 SHA-256 不符 (file_altered)"
            ),
            503: OpenApiResponse(description="渲染失败或超出时间、内存限制 (render_failed)"),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse | FileResponse:
        actor = actor_from(request)
        sealed = sealed_record_of(pk)  # one query; who may read it is checked before serving
        if sealed is not None and sealed.sheet_file:
            sheet_notice(actor.user, pk)
            return self._sealed(actor, sealed)
        sheet = handling_sheet(actor, pk)
        response = HttpResponse(sheet.pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(sheet.doc_number)
        response["X-Sheet-Content-Hash"] = sheet.content_hash
        response["X-Sheet-SHA256"] = sheet.sha256
        response["Cache-Control"] = "private, no-store"
        return response

    def _sealed(self, actor: Any, sealed: Any) -> FileResponse:
        """The archived notice's sealed 处理笺, checked against its SHA-256 as it is read."""
        content = open_sealed_sheet(sealed)
        archive_download(actor, sealed, what="handling-sheet.pdf")
        response = FileResponse(content.chunks, content_type="application/pdf")
        response["Content-Length"] = str(content.size)
        response["Content-Disposition"] = content_disposition(sealed.doc_number)
        response["X-Sheet-SHA256"] = sealed.sheet_sha256
        response["X-Archival-Code"] = quote(sealed.archival_code)
        response["Cache-Control"] = "private, no-store"
        return response
