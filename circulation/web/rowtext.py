"""What a page repeats on every row, prepared once per request instead of once per row.

A ``{% translate %}`` inside a loop looks its message up again on every row, a ``{% url %}``
resolves the pattern again, ``|date`` builds a formatter again: on the board (50 notices) and the
notice page (a roster of 1,000 recipients) that was most of the server time (docs/benchmarks.md,
web pages). The views translate a page's labels once (``translated``), build each row's links
from one ``reverse`` (``PkUrl``) and format its times with ``local_minute``; the templates print
plain variables.
"""

from collections.abc import Mapping
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

# A number no real primary key reaches, reversed once and replaced by each row's pk.
_MARKER = "987654321987"


def translated(messages: Mapping[str, Promise | str]) -> dict[str, str]:
    """The messages (``gettext_lazy``) in the request's language, each looked up once."""
    return {key: str(message) for key, message in messages.items()}


class PkUrl:
    """``reverse(name, args=[pk])`` for many rows: the pattern is reversed once (per request,
    so the script prefix is the request's), then each pk is put in its place."""

    def __init__(self, name: str) -> None:
        self.head, self.tail = reverse(name, args=[int(_MARKER)]).split(_MARKER, 1)

    def __call__(self, pk: int) -> str:
        return f"{self.head}{pk}{self.tail}"


def local_minute(moment: datetime | None) -> str:
    """``Y-m-d H:i`` in the current time zone (Asia/Shanghai), as ``|date:"Y-m-d H:i"``;
    empty for no time."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def local_iso(moment: datetime | None) -> str:
    """ISO 8601 in the current time zone, as ``|date:'c'`` (for ``<time datetime>``)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat()
