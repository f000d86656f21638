"""Every API error is JSON with a code and a message in zh-hans and English, per field.

Body: ``{"code", "detail", "detail_en", "errors": [{"field", "code", "message", "message_en"}]}``
plus any extra keys of the domain error (e.g. ``existing_id`` on a duplicate).
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from circulation.records.errors import DomainError

# DRF's error codes with an English text; the Chinese text is DRF's own (zh-hans is active).
CODE_MESSAGES_EN = {
    "required": "This field is required",
    "blank": "This field may not be blank",
    "null": "This field may not be null",
    "invalid": "Invalid value",
    "invalid_choice": "Not one of the allowed choices",
    "max_length": "Too long",
    "min_length": "Too short",
    "max_value": "Too large",
    "min_value": "Too small",
    "not_a_list": "Expected a list",
    "empty": "May not be empty",
    "max_string_length": "Too long",
    "not_a_dict": "Expected an object",
    "date": "Expected a date (YYYY-MM-DD)",
    "datetime": "Expected a date and time (ISO 8601)",
    "no_name": "No file name",
    "invalid_image": "Not a valid image",
    "does_not_exist": "Does not exist",
    "incorrect_type": "Wrong type",
    "parse_error": "Malformed request body",
    "not_authenticated": "Authentication credentials were not provided",
    "authentication_failed": "Incorrect authentication credentials",
    "permission_denied": "You do not have permission to perform this action",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "unsupported_media_type": "Unsupported media type",
    "throttled": "Too many requests; try again later",
    "not_acceptable": "Not acceptable",
}
# Chinese texts for request-level errors whose DRF message is not translated or carries detail.
CODE_MESSAGES_ZH = {
    "parse_error": "请求内容格式有误，无法解析",
    "unsupported_media_type": "不支持的请求内容类型",
    "throttled": "请求过于频繁，请稍后再试",
    "not_authenticated": "请先登录或提供令牌",
    "authentication_failed": "身份验证失败",
    "permission_denied": "您没有执行该操作的权限",
    "not_found": "对象不存在或您无权查看",
    "method_not_allowed": "不允许的请求方法",
}
NON_FIELD = "non_field_errors"


def _flatten(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        rows: list[dict[str, Any]] = []
        for key, value in detail.items():
            field = None if key == NON_FIELD else (f"{prefix}.{key}" if prefix else str(key))
            rows.extend(_flatten(value, field if key != NON_FIELD else prefix))
        return rows
    if isinstance(detail, list):
        rows = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            rows.extend(_flatten(value, f"{prefix}.{index}" if nested and prefix else prefix))
        return rows
    code = getattr(detail, "code", "invalid") or "invalid"
    return [
        {
            "field": prefix,
            "code": code,
            "message": str(detail),
            "message_en": CODE_MESSAGES_EN.get(code, str(detail)),
        }
    ]


def _body(code: str, message: str, message_en: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"code": code, "detail": message, "detail_en": message_en, "errors": errors}


def _domain_response(exc: DomainError) -> Response:
    body = exc.body()
    headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else {}
    return Response(body, status=exc.status, headers=headers)


def _unparseable(exc: Exception) -> Response:
    """A body the parsers refuse outside DRF's own errors: nested too deeply for any parser
    (RecursionError), more form data than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or too many fields."""
    set_rollback()
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            _body(
                "too_large",
                f"请求内容过大，最多 {limit} 字节",
                f"The request body is too large; at most {limit} bytes",
                [],
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, RecursionError):
        message, message_en = "请求内容嵌套层数过多", "The request body is nested too deeply"
    else:
        message, message_en = CODE_MESSAGES_ZH["parse_error"], "Malformed request body"
    return Response(
        _body("parse_error", message, message_en, []), status=status.HTTP_400_BAD_REQUEST
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()
        return _domain_response(exc)
    if isinstance(exc, TransitionNotAllowed | ConcurrentTransition):
        set_rollback()
        return Response(
            _body(
                "conflict", "状态已变化，请刷新后重试", "The state changed; reload and retry", []
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RecursionError | RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _unparseable(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body = _body("invalid", "提交的数据有误", "Invalid input", errors)
    else:
        codes = exc.get_codes()
        code = str(codes if isinstance(codes, str) else exc.default_code)
        detail = str(exc.detail)
        message_en = CODE_MESSAGES_EN.get(code, detail)
        if code == "parse_error":
            message_en = detail
        body = _body(code, CODE_MESSAGES_ZH.get(code, detail), message_en, [])
    return Response(body, status=exc.status_code, headers=headers)
