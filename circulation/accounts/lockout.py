"""The answer to a refused sign-in (django-axes ``AXES_LOCKOUT_CALLABLE``): JSON in the API's
error format under ``/api/``, a readable bilingual page elsewhere (the admin login), 429 with
``Retry-After`` in both."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from workflows.services.signin import locked_out, refusal


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))
    error = refusal(request, username) or locked_out(username)
    retry_after = str(error.extra["retry_after"])
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "code": error.code,
                "detail": error.message,
                "detail_en": error.message_en,
                "errors": [
                    {
                        "field": None,
                        "code": error.code,
                        "message": error.message,
                        "message_en": error.message_en,
                    }
                ],
                **error.extra,
            },
            status=error.status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = TemplateResponse(
            request,
            "accounts/locked_out.html",
            {"message": error.message, "message_en": error.message_en},
            status=error.status,
        )
        response.render()
    response["Retry-After"] = retry_after
    return response
