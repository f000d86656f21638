"""批办 endpoints: 拟办, 批示 (text / 同意 / 圈阅), 承办 (accept, result), 答复, 撤回 of one
recipient, the 批办单 and the caller's pending items. Thin: every change goes through a service in
``workflows.services``; reads are constant in queries (prefetched)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.api.actor import actor_from
from circulation.api.serializers.acknowledgements import RecipientRowSerializer
from circulation.api.serializers.handling import (
    HandlingCaseSerializer,
    HandlingFileSerializer,
    InstructSerializer,
    PendingSerializer,
    ProposalSerializer,
    RecallSerializer,
    ReplySerializer,
    ResultSerializer,
)
from circulation.limits import UploadGate
from circulation.records.errors import InvalidInput
from circulation.records.models import (
    Assignment,
    AssignmentRole,
    HandlingCase,
    HandlingFile,
    Instruction,
    Person,
    Reply,
)
from circulation.records.permissions import not_found
from workflows.machines import AssignmentState
from workflows.services import (
    handling_common,
    handling_files,
    instructing,
    proposing,
    recalling,
    replying,
    undertaking,
)

PENDING_LIMIT = 500


def case_data(notice_id: int) -> dict[str, Any]:
    """The 批办单 with every part, in a fixed number of queries."""
    case = (
        HandlingCase.objects.select_related("notice", "proposed_by", "lead_unit")
        .prefetch_related(
            "co_units",
            "readers",
            Prefetch(
                "instructions",
                Instruction.objects.select_related("leader", "acted_by", "lead_unit")
                .prefetch_related("co_units", "readers")
                .order_by("pk"),
            ),
            Prefetch(
                "assignments",
                Assignment.objects.select_related("unit", "accepted_by", "result_by")
                .prefetch_related(Prefetch("attachments", HandlingFile.objects.order_by("pk")))
                .order_by("-role", "pk"),  # 主办 (lead) first
            ),
            Prefetch(
                "replies",
                Reply.objects.select_related("recorded_by")
                .prefetch_related(Prefetch("attachments", HandlingFile.objects.order_by("pk")))
                .order_by("pk"),
            ),
        )
        .filter(notice_id=notice_id)
        .first()
    )
    if case is None:
        raise not_found()
    return dict(HandlingCaseSerializer(case).data)


class HandlingCaseView(APIView):
    """``GET``: the notice's 批办单; ``POST``: 拟办 (write the 拟办意见 and send it to leaders)."""

    @extend_schema(responses=HandlingCaseSerializer, operation_id="notices_handling_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        case = handling_common.visible_case(actor_from(request).user, pk)
        return Response(case_data(case.notice_id))

    @extend_schema(
        request=ProposalSerializer,
        responses={201: HandlingCaseSerializer},
        operation_id="notices_handling_propose",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = ProposalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        case = proposing.propose_handling(
            actor_from(request),
            pk,
            proposing.ProposalInput(
                text=data["text"],
                lead_unit=data["lead_unit"],
                leaders=data["leaders"],
                co_units=data["co_units"],
                readers=data["readers"],
                due_working_days=data["due_working_days"],
                reply_expected=data["reply_expected"],
                skip_agree_notice=data["skip_agree_notice"],
            ),
        )
        return Response(case_data(case.notice_id), status=status.HTTP_201_CREATED)


class ReplyView(APIView):
    """``POST``: 答复 — record the reply sent to the issuing organisation."""

    @extend_schema(
        request=ReplySerializer,
        responses={201: HandlingCaseSerializer},
        operation_id="notices_handling_reply",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        replying.record_reply(
            actor_from(request),
            pk,
            replying.ReplyInput(data["text"], data["replied_on"], data["channel"]),
        )
        return Response(case_data(pk), status=status.HTTP_201_CREATED)


class RecallView(APIView):
    """``POST``: 撤回 one recipient's open acknowledgement with a reason."""

    @extend_schema(
        request=RecallSerializer, responses=RecipientRowSerializer, operation_id="notices_recall"
    )
    def post(self, request: Request, pk: int) -> Response:
        body = RecallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ack = recalling.recall_recipient(
            actor_from(request), pk, body.validated_data["person"], body.validated_data["reason"]
        )
        return Response(RecipientRowSerializer(ack).data)


class InstructView(APIView):
    """``POST``: 批示 by the named leader — text, 同意拟办意见 (``agree``) or 圈阅 (``circle``)."""

    @extend_schema(
        request=InstructSerializer,
        responses=HandlingCaseSerializer,
        operation_id="handling_instruct",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = InstructSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        instruction = instructing.give_instruction(
            actor_from(request),
            pk,
            instructing.InstructionInput(
                kind=data["kind"],
                text=data["text"],
                lead_unit=data["lead_unit"],
                co_units=data["co_units"],
                readers=data["readers"],
            ),
        )
        return Response(case_data(instruction.case.notice_id))


class AcceptView(APIView):
    """``POST``: 接收 — the 承办 unit takes the work on."""

    @extend_schema(request=None, responses=HandlingCaseSerializer, operation_id="handling_accept")
    def post(self, request: Request, pk: int) -> Response:
        assignment = undertaking.accept_assignment(actor_from(request), pk)
        return Response(case_data(assignment.case.notice_id))


class ResultView(APIView):
    """``POST``: 办理结果 of the 承办 unit (the lead unit's finishes the case)."""

    @extend_schema(
        request=ResultSerializer, responses=HandlingCaseSerializer, operation_id="handling_result"
    )
    def post(self, request: Request, pk: int) -> Response:
        body = ResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = undertaking.record_result(actor_from(request), pk, body.validated_data["text"])
        return Response(case_data(assignment.case.notice_id))


def _time(value: datetime | None) -> str | None:
    """As the serializers answer a datetime: ISO 8601 in the current time zone (+08:00)."""
    return None if value is None else timezone.localtime(value).isoformat()


def _name(display: str, first: str, last: str, username: str) -> str:
    """``Person.name`` from its columns."""
    return display or f"{first} {last}".strip() or username


_NOTICE = ("id", "doc_number", "title", "state", "urgency")


def _notice(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[f"case__notice__{key}"] for key in _NOTICE}


def pending_data(user: Person) -> dict[str, list[dict[str, Any]]]:
    """The caller's pending items as :class:`PendingSerializer` describes them, built from
    column values (two queries; a few ms of CPU for 500 items instead of ~50 with model
    instances and nested serializers)."""
    notice_columns = [f"case__notice__{key}" for key in _NOTICE]
    instructions = [
        {
            "id": row["pk"],
            "notice": _notice(row),
            "proposal": row["case__proposal"],
            "proposed_by": {
                "username": row["case__proposed_by__username"],
                "name": _name(
                    row["case__proposed_by__display_name"],
                    row["case__proposed_by__first_name"],
                    row["case__proposed_by__last_name"],
                    row["case__proposed_by__username"],
                ),
            },
            "proposed_at": _time(row["case__proposed_at"]),
            "lead_unit": {
                "code": row["case__lead_unit__code"],
                "name": row["case__lead_unit__name"],
            },
        }
        for row in handling_common.pending_instructions(user).values(
            "pk",
            *notice_columns,
            "case__proposal",
            "case__proposed_by__username",
            "case__proposed_by__display_name",
            "case__proposed_by__first_name",
            "case__proposed_by__last_name",
            "case__proposed_at",
            "case__lead_unit__code",
            "case__lead_unit__name",
        )[:PENDING_LIMIT]
    ]
    roles = dict(AssignmentRole.choices)
    states = dict(AssignmentState.choices)
    assignments = [
        {
            "id": row["pk"],
            "notice": _notice(row),
            "unit": {"code": row["unit__code"], "name": row["unit__name"]},
            "role": row["role"],
            "role_label": str(roles[row["role"]]),
            "state": row["state"],
            "state_label": str(states[row["state"]]),
            "due_at": _time(row["due_at"]),
        }
        for row in handling_common.pending_assignments(user).values(
            "pk", *notice_columns, "unit__code", "unit__name", "role", "state", "due_at"
        )[:PENDING_LIMIT]
    ]
    return {"instructions": instructions, "assignments": assignments}


class PendingView(APIView):
    """``GET``: my pending 批办 items — 待批示 as a named leader (or their delegate), open 承办 of
    my units (each at most 500, oldest proposal / soonest deadline first). Constant queries."""

    @extend_schema(responses=PendingSerializer, operation_id="handling_pending")
    def get(self, request: Request) -> Response:
        return Response(pending_data(actor_from(request).user))


FILE_UPLOAD_SCHEMA = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
    }
}


class _FileUploadView(APIView):
    """Multipart upload of one ``file``; the caller's right to upload is checked before the
    body is read (also when a session's CSRF check reads the form)."""

    parser_classes = [MultiPartParser, FormParser]

    def gate(self, request: HttpRequest, pk: int) -> Callable[[], None]:
        raise NotImplementedError

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        wrapped = super().initialize_request(request, *args, **kwargs)
        if request.method == "POST" and "pk" in kwargs:  # not the schema's mock request
            request.upload_handlers = [
                UploadGate(request, self.gate(request, int(kwargs["pk"]))),
                *request.upload_handlers,
            ]
        return wrapped

    def upload(self, request: Request) -> handling_files.Upload:
        sent = request.FILES.get("file")
        if sent is None:
            raise InvalidInput(
                "请选择要上传的文件", "No file was sent", code="required", field="file"
            )
        return handling_files.Upload(sent.name or "", sent.file, sent.size or 0)


class ResultFileView(_FileUploadView):
    """``POST``: a file of the 承办 unit's 办理结果 (before the result is recorded)."""

    def gate(self, request: HttpRequest, pk: int) -> Callable[[], None]:
        return lambda: handling_files.check_result_uploader(request.user, pk)  # type: ignore[arg-type]

    @extend_schema(
        request=FILE_UPLOAD_SCHEMA,
        responses={201: HandlingFileSerializer},
        operation_id="handling_result_file",
    )
    def post(self, request: Request, pk: int) -> Response:
        handling_files.check_result_uploader(actor_from(request).user, pk)
        item = handling_files.add_result_file(actor_from(request), pk, self.upload(request))
        return Response(HandlingFileSerializer(item).data, status=status.HTTP_201_CREATED)


class ReplyFileView(_FileUploadView):
    """``POST``: a file of a recorded 答复 (the letter sent, a receipt)."""

    def gate(self, request: HttpRequest, pk: int) -> Callable[[], None]:
        return lambda: handling_files.require_reply_perm(request.user)  # type: ignore[arg-type]

    @extend_schema(
        request=FILE_UPLOAD_SCHEMA,
        responses={201: HandlingFileSerializer},
        operation_id="handling_reply_file",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = handling_files.add_reply_file(actor_from(request), pk, self.upload(request))
        return Response(HandlingFileSerializer(item).data, status=status.HTTP_201_CREATED)


class HandlingFileView(APIView):
    """``GET``: download a file of a 办理结果 or 答复 (anyone who sees the 批办单)."""

    @extend_schema(
        operation_id="handling_file_download",
        responses={(200, "application/octet-stream"): {"type": "string", "format": "binary"}},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        download = handling_files.open_handling_file(actor_from(request).user, pk)
        item = download.file
        response = FileResponse(download.content.chunks, content_type=item.content_type)
        response["Content-Disposition"] = (
            content_disposition_header(as_attachment=True, filename=item.original_name)
            or "attachment"
        )
        response["Content-Length"] = str(download.content.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
