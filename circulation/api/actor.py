"""Build the service ``Actor`` from a request: the user, the client IP, how they signed in."""

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from circulation.api.authentication import TokenAuthentication
from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.models import ConfirmMethod, Person


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
