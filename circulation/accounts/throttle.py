"""Failed sign-ins per client address, in the shared cache, in fixed windows.

Only failures are counted (a wrong password anywhere: the token endpoint, the admin, a password
confirmation); successful sign-ins never are, so a whole office behind one NAT address signs in
freely. Past ``SIGNIN_ADDRESS_FAILURE_LIMIT`` failures in one window of
``SIGNIN_ADDRESS_WINDOW_MINUTES``, further attempts from that address are refused (429) until the
window ends: a spray of guesses over many accounts is slowed, one person's typos are not.

The database cache's ``incr`` is a read and a write, not atomic: two failures at the same instant
may count once. A limit, not an exact count, is all that is needed.
"""

import time

from django.conf import settings
from django.core.cache import cache


def _window() -> tuple[int, int]:
    """(window length in seconds, number of the current window)."""
    length = max(1, int(settings.SIGNIN_ADDRESS_WINDOW_MINUTES) * 60)
    return length, int(time.time() // length)


def _key(ip: str, window: int) -> str:
    return f"signin-failures:{ip}:{window}"


def address_retry_after(ip: str | None) -> int | None:
    """Seconds until this address may try again, or None when it may try now."""
    limit = int(settings.SIGNIN_ADDRESS_FAILURE_LIMIT)
    if not ip or limit <= 0:
        return None
    length, window = _window()
    if int(cache.get(_key(ip, window), 0)) < limit:
        return None
    return max(1, int((window + 1) * length - time.time()))


def count_address_failure(ip: str | None) -> None:
    if not ip or int(settings.SIGNIN_ADDRESS_FAILURE_LIMIT) <= 0:
        return
    length, window = _window()
    key = _key(ip, window)
    if not cache.add(key, 1, timeout=length):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=length)
