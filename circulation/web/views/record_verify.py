"""``/records/<id>/verify/``: the page the 阅知确认单's QR code opens (login required).

GET is cheap: the rendition's own hash, and for an archived notice the sealed record's 档号 and
hashes with the last stored full verification (``checking.last_check``: its result, when and by
whom) — never a full verification. "Verify now" (POST, CSRF-protected) runs the full check the
archivist's record page runs and records it the same way (``archiving.check_record``: an
``archive.verified`` audit event), at most ``VERIFY_NOW_PER_HOUR`` times a person an hour (429
with Retry-After beyond), then shows the page again (a redirect to it).
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from circulation.ackrecord.access import verifiable_rendition
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import verify_rendition
from circulation.ackrecord.superseded import superseded_record
from circulation.archive import checking
from circulation.archive.downloads import sealed_record_of
from circulation.records.models import Person
from circulation.web.views.archive.common import web_actor
from workflows.services import archiving


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verify_page(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """``/records/<id>/verify/`` (from the QR code): does the stored PDF still match? For people
    of the record's organisation only (404 for others, :mod:`circulation.ackrecord.access`)."""
    user = request.user
    if not isinstance(user, Person):
        raise Http404("record not found")
    try:
        rendition = verifiable_rendition(user, pk)
    except Http404:  # a superseded record (its QR code printed): say so, link the current one
        superseded = superseded_record(user, pk)
        if superseded is None:
            raise
        return render(request, "records/record_superseded.html", {"superseded": superseded})
    sealed = sealed_record_of(rendition.notice_id) if rendition.frozen else None
    wait = 0
    if request.method == "POST":
        if sealed is None:  # nothing archived to verify: the page says what it can
            return redirect(request.path, permanent=False)
        wait = checking.verify_now_wait(user.pk)
        if not wait:
            archiving.check_record(web_actor(request, user), sealed)
            return redirect(request.path, permanent=False)
    newer = (
        RecordRendition.objects.filter(
            notice_id=rendition.notice_id, generated_at__gt=rendition.generated_at
        ).exists()
        and not rendition.frozen
    )
    context = {
        "rendition": rendition,
        "notice": rendition.notice,
        "intact": verify_rendition(rendition),
        "newer": newer,
        "sealed": sealed,
        # The sealed record's last full check (hashes, signature, data), as stored.
        "last_check": checking.last_check(sealed) if sealed is not None else None,
        "wait_minutes": -(-wait // 60),
    }
    response = render(request, "records/record_verify.html", context, status=429 if wait else 200)
    if wait:
        response["Retry-After"] = str(wait)
    return response
