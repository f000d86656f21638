"""Build the service ``Actor`` from a request: the user, the client IP, how they signed in."""

from django.conf import settings
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from circulation.records.models import ConfirmMethod, Person
from workflows.services.context import Actor


def client_ip(request: Request) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def actor_from(request: Request) -> Actor:
    user = request.user
    if not isinstance(user, Person):  # IsAuthenticated runs first; this guards misuse
        raise NotAuthenticated()
    method = (
        ConfirmMethod.TOKEN
        if isinstance(request.successful_authenticator, TokenAuthentication)
        else ConfirmMethod.SESSION
    )
    return Actor(user=user, ip=client_ip(request), method=method)
