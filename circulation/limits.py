"""Request-size limits, enforced before a body is read.

- :class:`RequestSizeLimitMiddleware` (first after ``SecurityMiddleware``) answers **413** when
  ``Content-Length`` exceeds the largest body the path can take — an attachment upload
  ``ATTACHMENT_MAX_BYTES`` plus :data:`MULTIPART_OVERHEAD`, everything else
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` — and **411** for a body sent without ``Content-Length``
  (chunked), which Django would otherwise read as empty. Under ``/api/`` the answer is the API's
  bilingual JSON error.
- :class:`CappedUploadHandler` (first in ``FILE_UPLOAD_HANDLERS``) stops a multipart upload as
  soon as its files pass ``ATTACHMENT_MAX_BYTES`` (413), whatever the headers said, so no more
  than that reaches the disk.
- :class:`UploadGate` lets a view refuse an upload (e.g. a missing permission) before the first
  byte of the body is read, even when the body is parsed during authentication (the CSRF check
  of a session reads the form).
"""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse

from circulation.records.errors import DomainError, InvalidInput

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the form fields around a file
UPLOAD_PATHS = (
    re.compile(r"^/api/v1/notices/\d+/attachments/$"),
    re.compile(r"^/(?:api/v1/notices/extract|register/import)/$"),  # intake (issue 14)
    # files of a 办理结果 or a 答复 (批办, issue 16)
    re.compile(r"^/api/v1/handling/(?:assignments|replies)/\d+/files/$"),
)
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class TooLarge(DomainError):
    """413: the request body is larger than the path accepts."""

    status = 413


def body_limit(path: str) -> int:
    """The largest request body (bytes) the path takes."""
    if any(pattern.match(path) for pattern in UPLOAD_PATHS):
        return int(settings.ATTACHMENT_MAX_BYTES) + MULTIPART_OVERHEAD
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _sizes(limit: int) -> tuple[str, str]:
    mib = f" ({limit / (1 << 20):.1f} MiB)" if limit >= 1 << 20 else ""
    return f"{limit} 字节{mib}", f"{limit} bytes{mib}"


def too_large(limit: int) -> TooLarge:
    zh, en = _sizes(limit)
    return TooLarge(
        f"请求内容过大，最多 {zh}",
        f"The request body is too large; at most {en}",
        code="too_large",
        extra={"max_bytes": limit},
    )


def file_too_large(limit: int, field: str) -> TooLarge:
    zh, en = _sizes(limit)
    return TooLarge(
        f"文件过大，最多 {zh}",
        f"The file is too large; at most {en}",
        code="too_large",
        field=field,
        extra={"max_bytes": limit},
    )


class LengthRequired(DomainError):
    """411: a body without Content-Length (chunked): Django would read it as empty."""

    status = 411


def _refuse(request: HttpRequest, error: DomainError) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            error.body(),
            status=error.status,
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponse(
        f"{error.message}\n{error.message_en}\n",
        status=error.status,
        content_type="text/plain; charset=utf-8",
    )


LENGTH_REQUIRED = LengthRequired(
    "请求须带 Content-Length（不支持分块传输）",
    "A request body needs a Content-Length header (chunked transfer is not supported)",
    code="length_required",
)
BAD_LENGTH = InvalidInput("Content-Length 无效", "Invalid Content-Length header")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("CONTENT_LENGTH") or ""
        if not header.strip():
            chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
            if chunked and request.method in _BODY_METHODS:
                return _refuse(request, LENGTH_REQUIRED)
            return self.get_response(request)
        limit = body_limit(request.path_info)
        try:
            length = int(header)
        except ValueError:
            length = -1
        if length < 0:
            return _refuse(request, BAD_LENGTH)
        if length > limit:
            return _refuse(request, too_large(limit))
        return self.get_response(request)


class CappedUploadHandler(FileUploadHandler):
    """Counts the file bytes of a multipart body and stops past ``ATTACHMENT_MAX_BYTES``."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        self.limit = int(settings.ATTACHMENT_MAX_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise file_too_large(self.limit, self.field_name or "file")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file


class UploadGate(FileUploadHandler):
    """Runs ``check`` when multipart parsing starts, before any of the body is read; ``check``
    raises (e.g. Forbidden) to refuse the upload."""

    def __init__(self, request: HttpRequest, check: Callable[[], None]) -> None:
        super().__init__(request)
        self.check = check

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.check()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
