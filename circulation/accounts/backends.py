"""The first authentication backend: refuses every sign-in from an address over its limit."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from circulation.accounts.throttle import address_retry_after
from circulation.client_ip import client_ip


class AddressGuardBackend:
    """Stops ``authenticate()`` before any password is checked when the client's address has
    failed too often (:mod:`circulation.accounts.throttle`).

    It marks the request like django-axes marks a locked-out one (``axes_locked_out``), so that
    axes neither counts the refused attempt against the account (an attacker's refused guesses
    must not lock real people out) and its middleware answers with our lock-out response, which
    tells the two cases apart by ``signin_address_retry_after``. No ``get_user``: it never
    signs anyone in (and ``force_login`` picks the first backend that has one).
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return None
        retry_after = address_retry_after(client_ip(request))
        if retry_after is None:
            return None
        request.signin_address_retry_after = retry_after  # type: ignore[attr-defined]
        request.axes_locked_out = True  # type: ignore[attr-defined]
        raise PermissionDenied("too many failed sign-ins from this address")
