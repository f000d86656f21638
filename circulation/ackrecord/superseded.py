"""A record that a newer one replaced: storing a new rendition of a notice deletes the unfrozen
renditions it supersedes (``services._prune_superseded``) and names them in its
``record.generated`` audit event (``data.superseded``). A printed record's QR code still points
at the old id; the verify page then says that a newer record exists and links to the current
one, instead of "not found" — for people of the notice's organisation only (404 for others, as
for any record).

The lookup reads the audit log by the JSON of its events (no index: a scan of the
``record.generated`` events), and runs only for an id that is not a stored rendition.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from circulation.ackrecord.models import RecordRendition
from circulation.records.models import AuditAction, AuditEvent, Notice, Person


@dataclass(frozen=True)
class Superseded:
    pk: uuid.UUID
    notice: Notice
    superseded_at: datetime
    current: RecordRendition | None  # the notice's record now (the frozen one once archived)


def superseded_record(user: Person, pk: uuid.UUID) -> Superseded | None:
    """What replaced the record ``pk``, if it was superseded and ``user`` may see its notice."""
    events = AuditEvent.objects.filter(
        action=AuditAction.RECORD_GENERATED, data__superseded__contains=[str(pk)]
    ).select_related("notice")
    if not user.is_superuser:
        if user.organisation_id is None:
            return None
        events = events.filter(notice__organisation_id=user.organisation_id)
    event = events.order_by("seq").first()
    if event is None or event.notice is None:
        return None
    current = (
        RecordRendition.objects.filter(notice=event.notice)
        .order_by("-frozen", "-generated_at")
        .first()
    )
    return Superseded(pk=pk, notice=event.notice, superseded_at=event.at, current=current)
