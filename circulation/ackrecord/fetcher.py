"""The only way WeasyPrint may load a resource while rendering a record.

Allowed: ``data:`` URLs (decoded here, no I/O) and ``file://`` URLs whose real path (symlinks
resolved) lies inside our own static files (``STATIC_ROOT``, ``STATICFILES_DIRS`` and the apps'
``static/`` directories). Everything else — ``http(s)://``, ``ftp://``, other files, anything
that would follow a redirect — raises :class:`ResourceRefused` before a connection is opened or a
file is touched. WeasyPrint turns the refusal into a warning and renders without the resource.
"""

import base64
import binascii
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from django.apps import apps
from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

MAX_DATA_URL_BYTES = 8 * 1024 * 1024
MAX_STATIC_FILE_BYTES = 8 * 1024 * 1024


class ResourceRefused(ValueError):
    """A URL that the record renderer must not load."""


def static_roots() -> list[Path]:
    """Directories whose files the renderer may read (resolved, existing)."""
    candidates: list[Path] = []
    if settings.STATIC_ROOT:
        candidates.append(Path(settings.STATIC_ROOT))
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        candidates.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    for config in apps.get_app_configs():
        candidates.append(Path(config.path) / "static")
    roots: list[Path] = []
    for candidate in candidates:
        if candidate.is_dir():
            resolved = candidate.resolve()
            if resolved not in roots:
                roots.append(resolved)
    return roots


def decode_data_url(url: str) -> tuple[str, bytes]:
    """``data:[<media type>][;base64],<data>`` → (media type, bytes), without any I/O."""
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise ResourceRefused("malformed data: URL")
    params = [part.strip() for part in header.split(";")]
    is_base64 = params[-1].lower() == "base64"
    if is_base64:
        params.pop()
    media_type = params[0] or "text/plain"
    extra = [p for p in params[1:] if p]
    if extra:
        media_type = "; ".join([media_type, *extra])
    raw = unquote_to_bytes(payload)
    if is_base64:
        try:
            raw = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ResourceRefused("malformed base64 in data: URL") from exc
    if len(raw) > MAX_DATA_URL_BYTES:
        raise ResourceRefused("data: URL too large")
    return media_type, raw


class RecordURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that refuses everything but our static files and ``data:``."""

    def __init__(self, roots: Iterable[Path] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("allowed_protocols", ("data", "file"))
        kwargs["allow_redirects"] = False
        super().__init__(**kwargs)
        self.roots = list(roots) if roots is not None else static_roots()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        try:
            if scheme == "data":
                media_type, body = decode_data_url(url)
                return URLFetcherResponse(url, body, {"Content-Type": media_type})
            if scheme == "file":
                path = self.allowed_path(url)
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": self._guess(path)}
                )
            raise ResourceRefused(f"scheme {scheme or '(none)'!r} is not allowed")
        except ResourceRefused as exc:
            self.refused.append(url[:200])
            logger.warning("record renderer refused %s: %s", url[:200], exc)
            raise

    def allowed_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused("file: URL on another host")
        # Checked on the lexical path first, so that nothing outside is even looked at; then
        # again after resolving symlinks, so that a link inside cannot point outside.
        lexical = Path(os.path.normpath(url2pathname(parts.path)))
        if not lexical.is_absolute() or not self._inside(lexical):
            raise ResourceRefused("file outside the static files")
        path = lexical.resolve()
        if not self._inside(path):
            raise ResourceRefused("file outside the static files")
        if not path.is_file():
            raise ResourceRefused("no such static file")
        if path.stat().st_size > MAX_STATIC_FILE_BYTES:
            raise ResourceRefused("static file too large")
        return path

    def _inside(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.roots)

    @staticmethod
    def _guess(path: Path) -> str:
        return {
            ".css": "text/css",
            ".svg": "image/svg+xml",
            ".png": "image/png",
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
        }.get(path.suffix.lower(), "application/octet-stream")

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> Any:
        """``urllib``'s entry point (used by some WeasyPrint paths): same rules as fetch()."""
        full_url = url.full_url if hasattr(url, "full_url") else str(url)
        return self.fetch(full_url)
