"""办结: a notice completes itself when every acknowledgement is terminal."""

from django.utils import timezone

from circulation.ackrecord.tasks import queue_render_on_commit
from circulation.records.models import Acknowledgement, Notice
from workflows.machines import ACK_OPEN_STATES, NoticeState
from workflows.services.audit import record_event
from workflows.services.context import Actor


def complete_if_done(actor: Actor | None, notice_id: int) -> bool:
    """Complete the notice if no acknowledgement is open any more.

    Call inside the transaction that made an acknowledgement terminal, after its audit event:
    the audit chain head is then locked, so two "last" confirms arriving together run this one
    after the other, and the second one's fresh reads see the first one's commit — exactly one of
    them completes the notice. The caller holds the notice at least FOR KEY SHARE, so no withdraw
    or forward can change it meanwhile; the state change below takes its own row lock.
    """
    if Acknowledgement.objects.filter(notice_id=notice_id, state__in=ACK_OPEN_STATES).exists():
        return False
    notice = Notice.objects.get(pk=notice_id)
    if notice.state != NoticeState.CIRCULATING:
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
    queue_render_on_commit(notice.pk)  # the 阅知确认单, rendered by a worker after the commit
    return True
