"""The client's address, one function for the API, the admin, sign-in limits and the audit log.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies of our own, each proxy appends the address it
received the request from to ``X-Forwarded-For``; the outermost proxy appends the real client.
So the client is the ``TRUSTED_PROXY_COUNT``-th entry from the right. Everything left of it was
sent by the client and can be anything: it is never used. With ``0`` (the default: no proxy)
``X-Forwarded-For`` is ignored and ``REMOTE_ADDR`` is the client.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request


def client_ip(request: HttpRequest | Request) -> str | None:
    """The client's IP address, or None when the request carries none."""
    meta = request.META
    remote = _valid(meta.get("REMOTE_ADDR", ""))
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if not hops:  # reached us without passing a proxy
        return remote
    # Fewer hops than proxies: every entry was added by one of ours, the left-most is the client.
    hop = hops[-proxies] if len(hops) >= proxies else hops[0]
    return _valid(hop) or remote


def _valid(value: str) -> str | None:
    """The address in canonical form, or None when it is not an IP address (a misconfigured
    proxy must not put junk into the audit log's ``inet`` column)."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None
