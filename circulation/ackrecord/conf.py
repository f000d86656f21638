"""Settings of the acknowledgement record, with safe defaults.

Each value is taken from the Django setting of the same name when the project defines one, else
from the environment variable, else the default (all documented in docs/configuration.md).
"""

import os

from django.conf import settings

DEFAULT_SITE_URL = "http://localhost:8000"


def _value(name: str, default: str) -> str:
    configured = getattr(settings, name, None)
    if configured not in (None, ""):
        return str(configured)
    return os.environ.get(name, "") or default


def site_url() -> str:
    """Absolute base of the links printed in the record (the QR code's verify URL)."""
    return _value("SITE_URL", DEFAULT_SITE_URL).rstrip("/")


def render_timeout() -> float:
    """Wall-clock seconds one render may take before its process is killed."""
    return float(_value("RECORD_RENDER_TIMEOUT", "120"))


def render_memory_bytes() -> int:
    """Address space a render may add to its process, beyond what it inherits."""
    return int(_value("RECORD_RENDER_MAX_MEMORY_MB", "1024")) * 1024 * 1024


def inline_max_recipients() -> int:
    """Records of at most this many recipients are rendered in the web request (bigger ones by
    the worker, answered 202 meanwhile); 0 sends every render to the worker."""
    return int(_value("RECORD_INLINE_MAX_RECIPIENTS", "300"))
