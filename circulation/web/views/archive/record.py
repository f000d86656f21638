"""``/archive/records/<档号>/``: one record — the 归档文件目录 metadata, the sealed PDF inline, the
attachments, "verify now" (``archiving.check_record``: verified and recorded as an audit event) with
the last check's time, person and result, and the notice's audit history.

``…/record.pdf`` serves the sealed PDF for the page's ``<iframe>``: one read hashed as it is sent
(``downloads.open_sealed_record``, 409 when altered), audited like an API download, and framable
by our own pages only (``X-Frame-Options: SAMEORIGIN``, CSP ``frame-ancestors 'self'``)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from circulation.archive import checking
from circulation.archive.access import get_record
from circulation.archive.downloads import open_sealed_record
from circulation.archive.models import ArchivedRecord
from circulation.records.errors import DomainError
from circulation.records.models import AuditAction, AuditEvent, Person
from circulation.web.views.archive.common import archivist, in_language, report_view, web_actor
from workflows.services import archiving, downloads


def _record(user: Person, code: str) -> ArchivedRecord:
    try:
        return get_record(user, code)
    except DomainError as exc:  # another organisation's record or no such 档号
        raise Http404 from exc


@dataclass(frozen=True)
class CheckLine:
    """One further check that verification reports (e.g. a signature's), shown generically."""

    ok: bool | None
    text: str


@dataclass(frozen=True)
class VerifyView:
    """A check for the template: just made (``fresh``) or the last one recorded."""

    ok: bool
    sha256: str | None
    sm3: str | None
    checked_at: datetime
    checked_by: str
    problems: list[str]
    checks: list[CheckLine]
    fresh: bool


KNOWN_KEYS = {"ok", "sha256", "sm3", "problems", "checked_at"}


def _message(item: dict[str, Any], english: bool) -> str:
    for key in ("message", "label", "name", "code"):
        text = item.get(f"{key}_en") if english else None
        text = text or item.get(key)
        if text:
            return str(text)
    return ", ".join(f"{k}: {v}" for k, v in item.items() if k != "ok")


def _line(name: str, value: Any, english: bool) -> CheckLine:
    if isinstance(value, dict):
        ok = value.get("ok")
        return CheckLine(ok if isinstance(ok, bool) else None, _message(value, english))
    if isinstance(value, bool):
        return CheckLine(value, name)
    return CheckLine(None, f"{name}: {value}")


def _further_checks(outcome: dict[str, Any], english: bool) -> list[CheckLine]:
    """Whatever verification reports besides the hashes (new checks are added there, e.g. a
    signature's): a line per check, its message in the page's language and its verdict."""
    lines: list[CheckLine] = []
    for name, value in outcome.items():
        if name in KNOWN_KEYS or value is None:
            continue
        items = value if isinstance(value, list) else [value]
        lines.extend(_line(name, item, english) for item in items)
    return lines


def verify_view(
    outcome: dict[str, Any], *, at: datetime, by: str, english: bool, fresh: bool
) -> VerifyView:
    problems = outcome.get("problems") if isinstance(outcome.get("problems"), list) else []
    return VerifyView(
        ok=bool(outcome.get("ok")),
        sha256=outcome.get("sha256"),
        sm3=outcome.get("sm3") if isinstance(outcome.get("sm3"), str) else None,
        checked_at=at,
        checked_by=by,
        problems=[_message(p, english) if isinstance(p, dict) else str(p) for p in problems or []],
        checks=_further_checks(outcome, english),
        fresh=fresh,
    )


def _last_check_view(record: ArchivedRecord, english: bool) -> VerifyView | None:
    last = checking.last_check(record)
    if last is None:
        return None
    return verify_view(last.outcome, at=last.at, by=last.actor_name, english=english, fresh=False)


HISTORY_SHOWN = 50


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    label: str
    actor: str
    detail: str


def _detail(event: AuditEvent) -> str:
    """One line of what matters in the event's data, never raw JSON."""
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("reason"):
        return _("原因：%(reason)s") % {"reason": data["reason"]}
    if event.action == AuditAction.ARCHIVE_VERIFIED:
        return _("完好") if data.get("ok") else _("发现问题")
    if event.action == AuditAction.NOTICE_REMINDED and "recipients" in data:
        return _("催办 %(count)s 人") % {"count": data["recipients"]}
    if event.action == AuditAction.NOTICE_FORWARDED and "recipients_added" in data:
        return _("新增接收人 %(count)s 人") % {"count": data["recipients_added"]}
    return ""


def _history(record: ArchivedRecord) -> tuple[list[HistoryEntry], int]:
    """The notice's audit events, latest first (at most ``HISTORY_SHOWN``), and their number."""
    events = AuditEvent.objects.filter(notice_id=record.notice_id)
    latest = list(
        events.select_related("actor")
        .only("id", "seq", "at", "action", "data", "actor_username", "actor__display_name")
        .order_by("-seq")[:HISTORY_SHOWN]
    )
    total = len(latest) if len(latest) < HISTORY_SHOWN else events.count()
    system = _("系统")
    return [
        HistoryEntry(
            at=e.at,
            label=AuditAction.label_of(e.action),
            actor=(e.actor.display_name if e.actor else "") or e.actor_username or system,
            detail=_detail(e),
        )
        for e in latest
    ], total


def _context(record: ArchivedRecord, verify: VerifyView | None) -> dict[str, Any]:
    timeline, total = _history(record)
    attachments = [entry for entry in record.attachments if isinstance(entry, dict)]
    return {
        "record": record,
        "attachments": attachments,
        "report": report_view(record.checks_report),
        "timeline": timeline,
        "timeline_total": total,
        "verify": verify,
    }


@login_required
@require_safe
def record_page(request: HttpRequest, code: str) -> HttpResponse:
    user = archivist(request)
    record = _record(user, code)
    verify = _last_check_view(record, request.LANGUAGE_CODE == "en")
    return render(request, "web/archive/record.html", _context(record, verify))


@login_required
@require_POST
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Verify now and record the check; htmx swaps the result in, without htmx the page is
    shown. A double click records one check (``archiving.check_record``)."""
    user = archivist(request)
    record = _record(user, code)
    result = archiving.check_record(web_actor(request, user), record)
    last = checking.last_check(record)  # this check, or the equal one it repeated (its person)
    verify = verify_view(
        last.outcome if last else checking.outcome_of(result),
        at=last.at if last else result.checked_at,
        by=last.actor_name if last else user.display_name or user.username,
        english=request.LANGUAGE_CODE == "en",
        fresh=True,
    )
    if getattr(request, "htmx", False):
        return render(request, "web/archive/_verify.html", {"record": record, "verify": verify})
    return render(request, "web/archive/record.html", _context(record, verify))


@login_required
@require_safe
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]  # typed for 1-arg views
def record_pdf(request: HttpRequest, code: str) -> HttpResponse | FileResponse:
    user = archivist(request)
    record = _record(user, code)
    try:
        content = open_sealed_record(record)
    except DomainError as exc:  # the file no longer matches its sealed SHA-256 (409)
        return render(
            request,
            "web/archive/pdf_error.html",
            {"error": in_language(exc)},
            status=exc.status,
        )
    downloads.archive_download(web_actor(request, user), record, what="record.pdf")
    download = "download" in request.GET
    response = FileResponse(content.chunks, content_type="application/pdf")
    disposition = content_disposition_header(download, f"{record.archival_code}.pdf")
    if disposition:
        response["Content-Disposition"] = disposition
    response["Content-Length"] = str(content.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
