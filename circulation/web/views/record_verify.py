"""``/records/<id>/verify/``: the page the 阅知确认单's QR code opens (login required)."""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from circulation.ackrecord.access import verifiable_rendition
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.services import verify_rendition
from circulation.ackrecord.superseded import superseded_record
from circulation.archive.downloads import sealed_record_of
from circulation.archive.verification import verify_record
from circulation.records.models import Person


@login_required
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
    newer = (
        RecordRendition.objects.filter(
            notice_id=rendition.notice_id, generated_at__gt=rendition.generated_at
        ).exists()
        and not rendition.frozen
    )
    sealed = sealed_record_of(rendition.notice_id) if rendition.frozen else None
    # The sealed record: its hashes (SHA-256, SM3) and the organisation's signature, each check.
    sealed_check = verify_record(sealed) if sealed is not None else None
    context = {
        "rendition": rendition,
        "notice": rendition.notice,
        "intact": verify_rendition(rendition),
        "newer": newer,
        "sealed": sealed,
        "sealed_intact": sealed_check.sha256 == sealed.record_sha256
        if sealed is not None and sealed_check is not None
        else None,
        "sealed_check": sealed_check,
    }
    return render(request, "records/record_verify.html", context)
