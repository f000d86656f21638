"""File downloads from the admin: attachments, rendered records (阅知确认单) and sealed archive
files are served by an admin view per file, never by a ``/media/`` URL (media is not served).

Each view starts from its ModelAdmin's ``get_object`` — scoped by organisation
(:class:`~circulation.records.admin.scoping.OrganisationScopedAdmin`), so another organisation's
file is a 404 like a missing one — then checks the user's permission, reads the file once and
checks it against the SHA-256 recorded when it was stored (a file altered on disk is refused).
"""

from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString

from circulation.archive.sealing import VerifiedContent

ALTERED = (
    "文件的 SHA-256 与存储时不符，已拒绝下载，请运行完整性校验。"
    " / The file no longer matches its recorded SHA-256; download refused (run verify)."
)


def admin_url(model_admin: Any, view: str, *args: Any) -> str:
    opts = model_admin.opts
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_{view}",
        args=[quote(a) for a in args],
        current_app=model_admin.admin_site.name,
    )


def download_link(url: str, label: str) -> SafeString:
    return format_html('<a class="download-link" href="{}">{}</a>', url, label)


def file_response(
    content: VerifiedContent, *, filename: str, content_type: str, inline: bool = False
) -> FileResponse:
    response = FileResponse(content.chunks, content_type=content_type)
    # FileResponse names the file only for a file object; ours is an iterator of checked chunks.
    disposition = content_disposition_header(not inline, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Content-Length"] = str(content.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def refused(request: HttpRequest, message: str, back: str) -> HttpResponseBase:
    """A refused download (file altered, record not available): the message on the page the
    user came from."""
    messages.error(request, message)
    return redirect(back)
