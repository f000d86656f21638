"""The record's PDF over the API, and the verify page that its QR code opens."""

import re
import uuid
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from circulation.ackrecord.access import record_notice, verifiable_rendition
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.services import current_record, record_download, verify_rendition
from circulation.api.actor import actor_from
from circulation.records.models import Person


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """Errors are JSON even for a client that asked only for ``application/pdf``."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Exception:
            return (renderers[0], renderers[0].media_type)


def content_disposition(doc_number: str) -> str:
    """``inline`` with the 文号 as file name (RFC 6266/5987: an ASCII fallback and UTF-8)."""
    name = f"{doc_number} 阅知确认单.pdf"
    ascii_part = re.sub(r"[^A-Za-z0-9]+", "-", doc_number).strip("-")
    fallback = f"record-{ascii_part}.pdf" if ascii_part else "record.pdf"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class RecordPdfView(APIView):
    """The notice's 阅知确认单 (PDF/A-3b), regenerated only when its data changed; audited."""

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
            409: OpenApiResponse(description="数据中有字体无法显示的字符 (missing_glyphs)"),
            503: OpenApiResponse(description="渲染超时或超出内存限制 (render_failed)"),
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        actor = actor_from(request)
        notice = record_notice(actor.user, pk)
        rendition = current_record(notice, actor=actor)
        record_download(actor, rendition)
        response = FileResponse(rendition.file.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(notice.doc_number)
        response["Content-Length"] = str(rendition.size)
        response["X-Record-Id"] = str(rendition.pk)
        response["X-Record-SHA256"] = rendition.sha256
        response["Cache-Control"] = "private, no-store"
        return response


@login_required
def verify_page(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """``/records/<id>/verify/`` (from the QR code): does the stored PDF still match? For people
    of the record's organisation only (404 for others, :mod:`circulation.ackrecord.access`)."""
    user = request.user
    if not isinstance(user, Person):
        raise Http404("record not found")
    rendition = verifiable_rendition(user, pk)
    newer = (
        RecordRendition.objects.filter(
            notice_id=rendition.notice_id, generated_at__gt=rendition.generated_at
        ).exists()
        and not rendition.frozen
    )
    context = {
        "rendition": rendition,
        "notice": rendition.notice,
        "intact": verify_rendition(rendition),
        "newer": newer,
    }
    return render(request, "records/record_verify.html", context)
