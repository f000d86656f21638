"""收文 endpoints: register, list/detail with progress, attachments, forward, withdraw, return,
history. Thin: every change goes through a service in ``workflows.services``."""

from typing import Any

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from circulation.api.actor import actor_from
from circulation.api.params import YEAR_RANGE, int_param, text_param
from circulation.api.serializers.acknowledgements import RecipientRowSerializer
from circulation.api.serializers.audit import AuditEventSerializer
from circulation.api.serializers.notices import (
    AttachmentSerializer,
    ForwardResponseSerializer,
    ForwardSerializer,
    NoticeCreateSerializer,
    NoticeDetailSerializer,
    NoticeSerializer,
    ReasonSerializer,
)
from circulation.api.serializers.notifications import RemindResponseSerializer
from circulation.limits import UploadGate
from circulation.records import roles
from circulation.records.errors import InvalidInput, RateLimited
from circulation.records.models import Acknowledgement, AuditEvent, Notice, Person
from circulation.records.permissions import not_found, require_perm
from circulation.records.selectors import (
    headed_unit_ids,
    progress_annotations,
    progress_by_unit,
    sees_all_notices,
    visible_notices,
)
from workflows.machines import AckState, NoticeState
from workflows.services import attachments, forwarding, registration, reminding, withdrawal


class RosterPagination(PageNumberPagination):
    """A notice's recipients: 50 a page, ``page_size`` up to 500 (a whole bureau at once)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _require_upload_permission(user: Any) -> None:
    require_perm(user, roles.ADD_ATTACHMENT)


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NoticeSerializer
    lookup_value_regex = r"\d+"

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        """An upload is refused for a missing permission before its body is read — also when
        a session's CSRF check reads the form during authentication."""
        wrapped = super().initialize_request(request, *args, **kwargs)
        if self.action == "attachments":
            # Django's request.user: the session user during authentication, then DRF's user.
            gate = UploadGate(request, lambda: _require_upload_permission(request.user))
            request.upload_handlers = [gate, *request.upload_handlers]
        return wrapped

    def _user(self) -> Person:
        return actor_from(self.request).user

    def get_queryset(self) -> QuerySet[Notice]:
        notices = (
            visible_notices(self._user())
            .select_related("received_by")
            .annotate(**progress_annotations())
        )
        request = self.request
        state = text_param(request, "state", max_length=32)
        if state in NoticeState.values:
            notices = notices.filter(state=state)
        year = int_param(request, "year", **YEAR_RANGE)
        if year is not None:
            notices = notices.filter(year=year)
        term = text_param(request, "q", max_length=100)
        if term:
            notices = notices.filter(
                Q(title__icontains=term) | Q(doc_number__icontains=term) | Q(issuer__icontains=term)
            )
        return notices.order_by("-received_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("state", enum=NoticeState.values, required=False),
            OpenApiParameter("year", int, required=False),
            OpenApiParameter("q", str, required=False, description="标题/文号/发文机关"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=NoticeDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        notice = self.get_object()
        return Response(self._detail(notice))

    def _detail(self, notice: Notice) -> dict[str, Any]:
        user = self._user()
        by_unit = progress_by_unit(notice)
        if not sees_all_notices(user):
            headed = set(headed_unit_ids(user))
            by_unit = [row for row in by_unit if row["unit_id"] in headed]
        mine = (
            Acknowledgement.objects.filter(notice=notice, person=user)
            .values("id", "state", "due_at")
            .first()
        )
        prefetch_related_objects([notice], "attachments")
        context = {"progress_by_unit": by_unit, "my_acknowledgement": mine}
        return dict(NoticeDetailSerializer(notice, context=context).data)

    def _fresh(self, pk: int) -> dict[str, Any]:
        return self._detail(self.get_queryset().get(pk=pk))

    @extend_schema(request=NoticeCreateSerializer, responses={201: NoticeDetailSerializer})
    def create(self, request: Request) -> Response:
        """签收并登记: the 发文字号 is normalised (GB/T 9704) and checked for duplicates."""
        require_perm(self._user(), roles.REGISTER_NOTICE)
        body = NoticeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = registration.register_notice(
            actor_from(request), registration.NoticeInput(**body.validated_data)
        )
        return Response(self._fresh(result.notice.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: Request, pk: str) -> Response:
        """上传附件 (checked by content and size; stored under a generated name)."""
        notice = self.get_object()
        _require_upload_permission(self._user())  # before request.FILES reads the body
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(
                "请选择要上传的文件", "No file was sent", code="required", field="file"
            )
        attachment = attachments.add_attachment(
            actor_from(request), notice.pk, upload.name or "", upload.file, upload.size or 0
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="notice_attachment_download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                description="附件原文（原文件名、存储的内容类型） / the attachment's bytes"
            )
        },
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<att_id>\d+)")
    def attachment(self, request: Request, pk: str, att_id: str) -> FileResponse:
        """下载附件: for anyone who can see the notice (recipients included); 404 otherwise."""
        download = attachments.open_attachment(self._user(), int(pk), int(att_id))
        attachment = download.attachment
        response = FileResponse(download.content.chunks, content_type=attachment.content_type)
        # The original file's name (RFC 5987 filename* for Chinese names); FileResponse sets it
        # only for a file object, not for the checked chunks.
        response["Content-Disposition"] = (
            content_disposition_header(as_attachment=True, filename=attachment.original_name)
            or "attachment"
        )
        response["Content-Length"] = str(download.content.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        operation_id="notice_acknowledgements",
        parameters=[
            OpenApiParameter("state", enum=AckState.values, required=False),
            OpenApiParameter("unit", str, required=False, description="机构代码 / unit code"),
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("page_size", int, required=False, description="1–500, 默认 50"),
        ],
        responses=RecipientRowSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="acknowledgements")
    def acknowledgements(self, request: Request, pk: str) -> Response:
        """每位接收人的阅知情况: all rows for clerks and admins, their unit's for a unit head;
        404 for everyone else."""
        notice = self.get_object()
        user = self._user()
        rows = Acknowledgement.objects.filter(notice=notice)
        if not sees_all_notices(user):
            headed = headed_unit_ids(user)
            if not headed:
                raise not_found()
            rows = rows.filter(unit_id__in=headed)
        state = text_param(request, "state", max_length=32)
        if state:
            if state not in AckState.values:
                raise InvalidInput(
                    f"查询参数 state 只能是 {'、'.join(AckState.values)}",
                    f"Query parameter state must be one of {', '.join(AckState.values)}",
                    code="invalid_choice",
                    field="state",
                )
            rows = rows.filter(state=state)
        unit = text_param(request, "unit", max_length=16)
        if unit:
            rows = rows.filter(unit__code=unit.upper())
        rows = rows.select_related("person", "unit").order_by(
            "unit__sort_order", "unit__code", "person__username", "pk"
        )
        int_param(request, "page_size", minimum=1, maximum=RosterPagination.max_page_size)
        paginator = RosterPagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        data = RecipientRowSerializer(page, many=True, context={"now": timezone.now()}).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=ForwardSerializer, responses=ForwardResponseSerializer)
    @action(detail=True, methods=["post"])
    def forward(self, request: Request, pk: str) -> Response:
        """传阅/补发 to units and people; only new recipients are added."""
        notice = self.get_object()
        body = ForwardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = forwarding.forward_notice(
            actor_from(request),
            notice.pk,
            forwarding.ForwardRequest(
                unit_codes=data["units"],
                usernames=data["people"],
                instruction=data["instruction"],
                due_at=data["due_at"],
                due_working_days=data["due_working_days"],
            ),
        )
        answer: dict[str, Any] = {
            "id": result.notice.pk,
            "state": result.notice.state,
            "due_at": result.due_at,
            "recipients_added": result.recipients_added,
            "round": result.round.number if result.round else None,
        }
        if result.calendar_note:
            answer["calendar_note"] = result.calendar_note
        return Response(ForwardResponseSerializer(answer).data | {"id": result.notice.pk})

    @extend_schema(request=ReasonSerializer, responses=NoticeDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """撤回: open acknowledgements are cancelled."""
        notice = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        withdrawal.withdraw_notice(actor_from(request), notice.pk, body.validated_data["reason"])
        return Response(self._fresh(notice.pk))

    @extend_schema(request=ReasonSerializer, responses=NoticeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_sender(self, request: Request, pk: str) -> Response:
        """初审退回 to the sender, with the reason."""
        notice = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registration.return_to_sender(actor_from(request), notice.pk, body.validated_data["reason"])
        return Response(self._fresh(notice.pk))

    @extend_schema(
        request=None,
        responses={
            200: RemindResponseSerializer,
            429: OpenApiResponse(description="催办过于频繁 / reminded too recently (Retry-After)"),
        },
    )
    @action(detail=True, methods=["post"])
    def remind(self, request: Request, pk: str) -> Response:
        """人工催办: remind every recipient who has not confirmed; rate-limited per notice."""
        notice = self.get_object()
        try:
            result = reminding.remind_notice(actor_from(request), notice.pk)
        except RateLimited as exc:
            response = self.handle_exception(exc)
            response["Retry-After"] = str(exc.extra["retry_after"])
            return response
        answer = {
            "reminded": result.reminded,
            "messages": result.messages,
            "next_allowed_at": result.next_allowed_at,
        }
        return Response(RemindResponseSerializer(answer).data)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        """The notice's audit events, oldest first."""
        notice = self.get_object()
        require_perm(self._user(), roles.VIEW_ALL_NOTICES)
        events = AuditEvent.objects.filter(notice=notice).order_by("seq")
        page = self.paginate_queryset(events)
        if page is not None:
            return self.get_paginated_response(AuditEventSerializer(page, many=True).data)
        return Response(AuditEventSerializer(events, many=True).data)
