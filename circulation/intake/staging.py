"""A file uploaded on the register page's 从文件导入, kept until the clerk registers the notice
(then it becomes the notice's first attachment) — under ``MEDIA_ROOT/intake-staging/`` by a
random token held in the clerk's session, one file per session; files older than a day are
removed whenever another is staged."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

SESSION_KEY = "intake_staged"
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Staged:
    token: str
    name: str
    size: int
    path: Path


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "intake-staging"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stage(session: Any, name: str, data: bytes) -> Staged:
    discard(session)
    _sweep()
    token = secrets.token_urlsafe(24)
    path = _folder() / token
    path.write_bytes(data)
    session[SESSION_KEY] = {"token": token, "name": name[:255], "size": len(data)}
    return Staged(token, name[:255], len(data), path)


def staged(session: Any, token: str) -> Staged | None:
    """The file staged under ``token`` in this session, if it is still there."""
    entry = session.get(SESSION_KEY)
    if not token or not entry or not secrets.compare_digest(str(entry.get("token")), token):
        return None
    path = _folder() / entry["token"]
    if not path.is_file():
        return None
    return Staged(entry["token"], entry["name"], int(entry["size"]), path)


def discard(session: Any) -> None:
    entry = session.pop(SESSION_KEY, None)
    if entry and isinstance(entry.get("token"), str) and "/" not in entry["token"]:
        (_folder() / entry["token"]).unlink(missing_ok=True)


def _sweep() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in _folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
