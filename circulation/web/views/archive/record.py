"""``/archive/records/<档号>/``: one record — the 归档文件目录 metadata, the sealed PDF inline, the
attachments, "verify now" (``services.verify_record``) and the notice's audit history.

``…/record.pdf`` serves the sealed PDF for the page's ``<iframe>``: one read hashed as it is sent
(``downloads.open_sealed_record``, 409 when altered), audited like an API download, and framable
by our own pages only (``X-Frame-Options: SAMEORIGIN``, CSP ``frame-ancestors 'self'``)."""

from typing import Any

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from circulation.archive import services
from circulation.archive.access import get_record
from circulation.archive.downloads import open_sealed_record
from circulation.archive.models import ArchivedRecord
from circulation.records.models import Person
from circulation.web.views.archive.common import archivist, in_language, report_view, web_actor
from circulation.web.views.notice import _timeline
from workflows.services.errors import DomainError


def _record(user: Person, code: str) -> ArchivedRecord:
    try:
        return get_record(user, code)
    except DomainError as exc:  # another organisation's record or no such 档号
        raise Http404 from exc


def _context(record: ArchivedRecord) -> dict[str, Any]:
    timeline, total = _timeline(record.notice)
    attachments = [entry for entry in record.attachments if isinstance(entry, dict)]
    return {
        "record": record,
        "attachments": attachments,
        "report": report_view(record.checks_report),
        "timeline": timeline,
        "timeline_total": total,
        "verify": None,
    }


@login_required
@require_safe
def record_page(request: HttpRequest, code: str) -> HttpResponse:
    user = archivist(request)
    return render(request, "web/archive/record.html", _context(_record(user, code)))


@login_required
@require_POST
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Recompute the hashes now; htmx swaps the result in, without htmx the page is shown."""
    user = archivist(request)
    record = _record(user, code)
    result = services.verify_record(record)
    english = request.LANGUAGE_CODE == "en"
    verify_view = {
        "ok": result.ok,
        "sha256": result.sha256,
        "checked_at": result.checked_at,
        "problems": [p.message_en if english else p.message for p in result.problems],
    }
    if getattr(request, "htmx", False):
        return render(
            request, "web/archive/_verify.html", {"record": record, "verify": verify_view}
        )
    return render(request, "web/archive/record.html", _context(record) | {"verify": verify_view})


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
    services.record_download(web_actor(request, user), record, what="record.pdf")
    download = "download" in request.GET
    response = FileResponse(content.chunks, content_type="application/pdf")
    disposition = content_disposition_header(download, f"{record.archival_code}.pdf")
    if disposition:
        response["Content-Disposition"] = disposition
    response["Content-Length"] = str(content.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
