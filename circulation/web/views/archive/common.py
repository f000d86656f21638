"""What every archive page shares: the archivist check (404 for anyone else), the actor, the
service's error in the page's language and the 四性 report shaped for the template."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from circulation.archive.access import require_archive_access
from circulation.archive.report import ASPECTS
from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError
from circulation.records.models import ConfirmMethod, Person

ASPECT_LABELS = {
    "authenticity": _("真实性"),
    "integrity": _("完整性"),
    "usability": _("可用性"),
    "security": _("安全性"),
}


def archivist(request: HttpRequest) -> Person:
    """The signed-in archivist or administrator; 404 for everyone else (the archive is not
    shown to exist)."""
    user = request.user
    if not isinstance(user, Person) or not user.is_active:
        raise Http404
    try:
        require_archive_access(user)
    except DomainError as exc:
        raise Http404 from exc
    return user


def organisation_id(user: Person) -> int:
    """The archivist's organisation (404 for a person of none: they have no archive)."""
    if user.organisation_id is None:
        raise Http404
    return user.organisation_id


def web_actor(request: HttpRequest, user: Person) -> Actor:
    return Actor(user=user, ip=client_ip(request), method=ConfirmMethod.SESSION)


def in_language(error: DomainError) -> str:
    return error.message_en if translation.get_language() == "en" else error.message


@dataclass(frozen=True)
class CheckLine:
    code: str
    ok: bool
    review: bool
    message: str


@dataclass(frozen=True)
class AspectBlock:
    key: str
    label: str
    ok: bool
    checks: list[CheckLine]


@dataclass(frozen=True)
class ReportView:
    ok: bool
    needs_review: bool
    standard: str
    checked_at: datetime | None
    aspects: list[AspectBlock]


def report_view(report: Any) -> ReportView | None:
    """The stored 四性 report (``report.ChecksReport.as_dict``) as aspects and lines in the page's
    language; None when it has another shape (the page then says so, it never shows JSON)."""
    if not isinstance(report, dict) or not isinstance(report.get("aspects"), dict):
        return None
    english = translation.get_language() == "en"
    aspects = report["aspects"]
    blocks = []
    for key in [k for k in ASPECTS if k in aspects] + [k for k in aspects if k not in ASPECTS]:
        aspect = aspects[key]
        checks = aspect.get("checks") if isinstance(aspect, dict) else None
        if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
            return None
        lines = [
            CheckLine(
                code=str(c.get("code", "")),
                ok=bool(c.get("ok")),
                review=bool(c.get("review")),
                message=str(c.get("message_en" if english else "message", "")),
            )
            for c in checks
        ]
        label = ASPECT_LABELS.get(key) or aspect.get("label") or key
        blocks.append(AspectBlock(key, str(label), all(line.ok for line in lines), lines))
    return ReportView(
        ok=bool(report.get("ok")),
        needs_review=bool(report.get("needs_review")),
        standard=str(report.get("standard", "")),
        checked_at=_when(report.get("checked_at")),
        aspects=blocks,
    )


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
