"""办结: a notice completes itself when every acknowledgement is terminal."""

from django.utils import timezone

from circulation.records.models import Acknowledgement, Notice
from workflows.machines import ACK_OPEN_STATES, NoticeState
from workflows.services.audit import record_event
from workflows.services.context import Actor


def complete_if_done(actor: Actor | None, notice: Notice) -> bool:
    """Call with the notice row locked, inside the transaction that made an ack terminal."""
    if notice.state != NoticeState.CIRCULATING:
        return False
    if Acknowledgement.objects.filter(notice=notice, state__in=ACK_OPEN_STATES).exists():
        return False
    notice.complete()
    notice.completed_at = timezone.now()
    notice.save()
    record_event(
        actor,
        "notice.completed",
        notice,
        notice_id=notice.pk,
        from_state=NoticeState.CIRCULATING,
        to_state=NoticeState.COMPLETED,
    )
    return True
