"""Who may read the 阅知确认单 and its verify page.

The record is a roster: every recipient's name, unit, 学习体会 and return reason. The whole record
goes only to the people who run or oversee the circulation of their organisation — the clerks,
archivists and administrators (permission ``view_all_notices``) and the organisation's leaders
(``circulation.records.selectors.is_leader``: the ``leader`` role or an active 领导班子 unit).
A unit head gets 404 as well: the record is not cut per unit, and a head follows their unit in
``progress_by_unit`` (later the JSON list of their unit's acknowledgements). A recipient sees
their own acknowledgement in the notice's JSON, never the record. Everyone else — and anyone
of another organisation — gets 404, like a missing notice.

The verify page that the record's QR code opens says only whether a stored file is intact: any
person of the record's organisation may open it; someone of another organisation gets 404.
"""

import uuid

from django.http import Http404

from circulation.ackrecord.models import RecordRendition
from circulation.records.models import Notice, Person
from circulation.records.permissions import not_found
from circulation.records.selectors import is_leader


def may_read_whole_record(user: Person, notice: Notice) -> bool:
    if not user.is_active or user.organisation_id != notice.organisation_id:
        return False
    if user.is_superuser or user.has_perm("records.view_all_notices"):
        return True
    return is_leader(user)


def record_notice(user: Person, pk: int) -> Notice:
    """The notice whose whole record ``user`` may read; ``NotVisible`` (404) otherwise."""
    if user.organisation_id is None:
        raise not_found()
    notice = Notice.objects.filter(pk=pk, organisation_id=user.organisation_id).first()
    if notice is None or not may_read_whole_record(user, notice):
        raise not_found()
    return notice


def verifiable_rendition(user: Person, pk: uuid.UUID) -> RecordRendition:
    """A rendition of the user's organisation (any rendition for a superuser); 404 otherwise."""
    renditions = RecordRendition.objects.select_related("notice")
    if not user.is_superuser:
        if user.organisation_id is None:
            raise Http404("record not found")
        renditions = renditions.filter(notice__organisation_id=user.organisation_id)
    rendition = renditions.filter(pk=pk).first()
    if rendition is None:
        raise Http404("record not found")
    return rendition
