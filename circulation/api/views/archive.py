"""Archive endpoints (design.md §6): archive a notice, search, detail, downloads, verify and the
catalogue. Read-only: no PUT/PATCH/DELETE (405). Only archivists and admins (403 otherwise)."""

import io
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.api.actor import actor_from
from circulation.api.params import YEAR_RANGE, int_param, text_param
from circulation.api.serializers.archive import (
    ArchivedRecordDetailSerializer,
    ArchivedRecordSerializer,
    ArchivePageSerializer,
    ArchiveRequestSerializer,
    VerifyResultSerializer,
)
from circulation.archive.access import archive_records, get_record, require_archive_access
from circulation.archive.catalogue import catalogue_records, catalogue_rows, write_csv
from circulation.archive.codes import Retention, parse_retention
from circulation.archive.downloads import altered, open_sealed_record
from circulation.archive.models import ArchivedRecord
from circulation.archive.sealing import SealedFileAltered, VerifiedContent, open_verified
from circulation.archive.search import ArchiveFilters, search_archive
from circulation.records.errors import InvalidInput
from circulation.records.models import Attachment
from circulation.records.permissions import not_found
from workflows.services import archiving, downloads

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
MAX_PAGE = 10_000  # far beyond what a search shows (counts stop at 200); keeps OFFSET sane


def _filters(request: Request) -> ArchiveFilters:
    retention = text_param(request, "retention", max_length=10)
    code = parse_retention(retention) if retention else None
    if retention and code is None:
        raise InvalidInput(
            "保管期限只能是 Y、D30 或 D10",
            "retention must be Y, D30 or D10",
            code="invalid_choice",
            field="retention",
        )
    return ArchiveFilters(
        year=int_param(request, "year", **YEAR_RANGE),
        retention=code,
        issuer=text_param(request, "issuer", max_length=200) or None,
        unit=text_param(request, "unit", max_length=16) or None,
    )


class ArchiveNoticeView(APIView):
    """归档: seal a completed notice's record with a 档号 (409 unless completed)."""

    @extend_schema(
        operation_id="notice_archive",
        request=ArchiveRequestSerializer,
        responses={201: ArchivedRecordDetailSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = ArchiveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = archiving.archive_notice(
            actor_from(request),
            pk,
            retention=body.validated_data["retention"],
            unit_code=body.validated_data["unit"] or None,
        )
        record = ArchivedRecord.objects.select_related("unit", "archived_by").get(pk=record.pk)
        return Response(ArchivedRecordDetailSerializer(record).data, status=status.HTTP_201_CREATED)


class ArchiveListView(APIView):
    """Search: ``q`` over 题名/文号/责任者/正文 (2+ Chinese characters, 文号 fragments), filters."""

    @extend_schema(
        operation_id="archive_search",
        parameters=[
            OpenApiParameter("q", str, description="关键词（空格分隔，全部匹配）"),
            OpenApiParameter("year", int),
            OpenApiParameter("retention", enum=Retention.values),
            OpenApiParameter("issuer", str, description="责任者（全称）"),
            OpenApiParameter("unit", str, description="机构（问题）代码"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=ArchivePageSerializer,
    )
    def get(self, request: Request) -> Response:
        base = archive_records(actor_from(request).user).select_related("archived_by")
        page = int_param(request, "page", minimum=1, maximum=MAX_PAGE, default=1) or 1
        size = int_param(
            request, "page_size", minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
        )
        size = size or DEFAULT_PAGE_SIZE
        found = search_archive(
            base,
            text_param(request, "q", max_length=300),
            _filters(request),
            offset=(page - 1) * size,
            limit=size,
        )
        more = found.count_capped or page * size < found.count
        return Response(
            {
                "count": found.count,
                "count_capped": found.count_capped,
                "next": _page_url(request, page + 1) if more else None,
                "previous": _page_url(request, page - 1) if page > 1 else None,
                "results": ArchivedRecordSerializer(found.results, many=True).data,
            }
        )


def _page_url(request: Request, page: int) -> str:
    query = request.query_params.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class ArchiveDetailView(APIView):
    @extend_schema(operation_id="archive_detail", responses=ArchivedRecordDetailSerializer)
    def get(self, request: Request, archival_code: str) -> Response:
        record = get_record(actor_from(request).user, archival_code)
        return Response(ArchivedRecordDetailSerializer(record).data)


class ArchiveVerifyView(APIView):
    """Recompute the sealed file's and attachments' hashes: {ok, sha256, checked_at, problems};
    each check is recorded (``archive.verified``), the record page shows the last one."""

    @extend_schema(operation_id="archive_verify", responses=VerifyResultSerializer)
    def get(self, request: Request, archival_code: str) -> Response:
        actor = actor_from(request)
        record = get_record(actor.user, archival_code)
        result = archiving.check_record(actor, record).as_dict()  # recorded: archive.verified
        return Response(VerifyResultSerializer(result).data)  # checked_at in +08:00


class ArchiveRecordPdfView(APIView):
    """The sealed record (with the 归档章); each download is audited."""

    @extend_schema(
        operation_id="archive_record_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(description="PDF")},
    )
    def get(self, request: Request, archival_code: str) -> FileResponse:
        actor = actor_from(request)
        record = get_record(actor.user, archival_code)
        content = open_sealed_record(record)
        downloads.archive_download(actor, record, what="record.pdf")
        return _file_response(content, f"{record.archival_code}.pdf", "application/pdf", record)


class ArchiveAttachmentView(APIView):
    """An original attachment of an archived notice, checked against its sealed SHA-256."""

    @extend_schema(
        operation_id="archive_attachment",
        responses={200: OpenApiResponse(description="the attachment's bytes")},
    )
    def get(self, request: Request, archival_code: str, attachment_id: int) -> FileResponse:
        actor = actor_from(request)
        record = get_record(actor.user, archival_code)
        entry = next(
            (e for e in record.attachments if isinstance(e, dict) and e.get("id") == attachment_id),
            None,
        )
        attachment = Attachment.objects.filter(pk=attachment_id, notice=record.notice_id).first()
        if entry is None or attachment is None:
            raise not_found("attachment")
        try:  # one read, hashed as it is served: what was checked is what is sent
            content = open_verified(
                lambda: attachment.file.open("rb"),
                sha256=str(entry.get("sha256")),
                size=entry.get("size") if isinstance(entry.get("size"), int) else None,
                label=f"attachment {attachment_id} of {record.archival_code}",
            )
        except SealedFileAltered as exc:
            raise altered("附件") from exc
        downloads.archive_download(actor, record, what="attachment", attachment_id=attachment_id)
        return _file_response(content, attachment.original_name, attachment.content_type, record)


def _file_response(
    content: VerifiedContent, name: str, content_type: str, record: Any
) -> FileResponse:
    response = FileResponse(
        content.chunks, as_attachment=True, filename=name, content_type=content_type
    )
    response["Content-Length"] = str(content.size)
    # FileResponse names the file only for a file object, not for checked chunks.
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Archival-Code"] = quote(record.archival_code)
    response["Cache-Control"] = "private, no-store"
    return response


class CatalogueCsvView(APIView):
    """归档文件目录 as CSV (UTF-8 with BOM): 序号, 档号, 文号, 责任者, 题名, 日期, 密级, 页数,
    备注."""

    @extend_schema(
        operation_id="archive_catalogue_csv",
        parameters=[OpenApiParameter("year", int)],
        responses={(200, "text/csv"): OpenApiResponse(description="CSV")},
    )
    def get(self, request: Request) -> HttpResponse:
        user = actor_from(request).user
        require_archive_access(user)
        year = int_param(request, "year", **YEAR_RANGE)
        stream = io.StringIO()
        write_csv(catalogue_rows(catalogue_records(archive_records(user), year)), stream)
        response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"归档文件目录-{year}.csv" if year else "归档文件目录.csv"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
