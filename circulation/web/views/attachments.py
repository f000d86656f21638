"""``/notices/<id>/attachments/<att_id>/``: an attachment for the web pages, shown in the reading
page (PDF in an ``<iframe>``, images in an ``<img>``) or downloaded.

The same rule and the same serving code as ``GET /api/v1/notices/{id}/attachments/{att_id}/``:
:func:`workflows.services.attachments.open_attachment` (anyone who sees the notice; 404 for
everyone else; one read, hashed while it is sent, 409 when the file was altered on disk). This
one view may be framed, by our own pages only (``X-Frame-Options: SAMEORIGIN`` and the CSP's
``frame-ancestors 'self'`` instead of the site-wide ``DENY`` / ``'none'``).
"""

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from circulation.records.errors import DomainError, NotVisible
from circulation.records.models import Person
from circulation.web.views.inbox import INLINE_TYPES, error_text
from workflows.services import attachments


@login_required
@require_safe
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]  # typed for 1-arg views
def attachment(request: HttpRequest, notice_id: int, att_id: int) -> HttpResponse | FileResponse:
    """Inline for PDF and the images a browser shows; a download otherwise or with ``?download``."""
    user = request.user
    if not isinstance(user, Person):
        raise Http404
    try:
        download = attachments.open_attachment(user, notice_id, att_id)
    except NotVisible as exc:
        raise Http404 from exc
    except DomainError as exc:  # the file no longer matches its SHA-256 (409)
        return render(
            request,
            "web/inbox/attachment_error.html",
            {"error": error_text(exc)},
            status=exc.status,
        )
    found = download.attachment
    inline = found.content_type in INLINE_TYPES and "download" not in request.GET
    response = FileResponse(download.content.chunks, content_type=found.content_type)
    disposition = content_disposition_header(as_attachment=not inline, filename=found.original_name)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Content-Length"] = str(download.content.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
