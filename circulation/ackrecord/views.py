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
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.ackrecord.access import record_notice, verifiable_rendition
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.services import current_record, record_download, verify_rendition
from circulation.ackrecord.serving import RecordPending, record_for_download
from circulation.ackrecord.superseded import superseded_record
from circulation.api.actor import actor_from
from circulation.archive.downloads import open_sealed_record, sealed_record_of
from circulation.archive.verification import verify_record
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


@login_required
def verify_page(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """``/records/<id>/verify/`` (from the QR code): does the stored PDF still match? For people
    of the record's organisation only (404 for others, :mod:`circulation.ackrecord.access`)."""
    user = request.user
    if not isinstance(user, Person):
        raise Http404("record not found")
    try:
        rendition = verifiable_rendition(user, pk)
    except Http404:  # a superseded record (its QR code printed): say so, link the current one
        superseded = superseded_record(user, pk)
        if superseded is None:
            raise
        return render(request, "records/record_superseded.html", {"superseded": superseded})
    newer = (
        RecordRendition.objects.filter(
            notice_id=rendition.notice_id, generated_at__gt=rendition.generated_at
        ).exists()
        and not rendition.frozen
    )
    sealed = sealed_record_of(rendition.notice_id) if rendition.frozen else None
    # The sealed record: its hashes (SHA-256, SM3) and the organisation's signature, each check.
    sealed_check = verify_record(sealed) if sealed is not None else None
    context = {
        "rendition": rendition,
        "notice": rendition.notice,
        "intact": verify_rendition(rendition),
        "newer": newer,
        "sealed": sealed,
        "sealed_intact": sealed_check.sha256 == sealed.record_sha256
        if sealed is not None and sealed_check is not None
        else None,
        "sealed_check": sealed_check,
    }
    return render(request, "records/record_verify.html", context)
