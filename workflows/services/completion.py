"""办结: a notice completes itself when every acknowledgement is terminal.

A confirm or a return does not decide completion in its own transaction: it would have to
serialise with every other recipient of the notice to see their uncommitted answers. Instead
it asks, *after* its commit, whether anything is still open (:func:`complete_after_answer`).
Of two "last" answers committing together, the later commit's check sees both, so one of them
completes the notice; the completion itself runs under the notice's row lock, like withdrawing
and forwarding, and re-checks there. If a process dies between its commit and that check, the
periodic reminder sweep finds the notice (:func:`complete_finished_notices`).

A 批办 notice with a 批办单 also waits for it: it completes only when its case is 已办毕 (the lead
unit's 办理结果 and any expected 答复 are in, :func:`handling_pending`); the services that finish
a case ask the same question after their commit.
"""

import logging
from functools import cache

from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from circulation.ackrecord.serving import request_render
from circulation.records import prepared
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.models import Acknowledgement, AuditAction, Notice
from circulation.records.models.handling import HandlingCase
from circulation.records.models.notice import Handling
from workflows.machines import ACK_OPEN_STATES, HandlingState, NoticeState

logger = logging.getLogger(__name__)


@cache
def _open_statement() -> str:
    """One open acknowledgement of the notice %s, if any — written once from the model's
    metadata: every answer asks it after its commit, and the ORM compiled it anew each time.

    It reads the partial index of open answers, ``ack_open_notice_due`` (a notice's 待阅 and 已阅
    rows only; a killed entry of an answered row costs nothing after the first scan). A prepared
    statement runs a generic plan from its sixth execution on, and that plan takes the index only
    if the open states are written into the statement (a parameter cannot prove the index's
    condition) and a row order is asked for: as ``EXISTS (… state = ANY(%s))`` the generic plan
    was a sequential scan — with most of the table open, the notice's first open row looked one
    row away — that walked every row stored before the notice's: 1.7–5 ms at 24,000 answers,
    growing with the table, against 0.04 ms through the index.
    """
    meta = Acknowledgement._meta
    qn = connection.ops.quote_name
    notice = qn(meta.get_field("notice").column)
    for state in _OPEN_STATES:
        if not state.isidentifier():
            raise ValueError(f"not a state name: {state!r}")
    states = ", ".join(f"'{state}'" for state in _OPEN_STATES)
    return (
        f"SELECT 1 FROM {qn(meta.db_table)} "  # noqa: S608 (names from _meta, fixed states)
        f"WHERE {notice} = %s AND {qn(meta.get_field('state').column)} IN ({states}) "
        f"ORDER BY {notice}, {qn(meta.get_field('due_at').column)} LIMIT 1"
    )


_OPEN_STATES = [str(state) for state in ACK_OPEN_STATES]
OPEN_INDEX = "ack_open_notice_due"


def has_open_acknowledgements(notice_id: int) -> bool:
    with connection.cursor() as cursor:
        prepared.execute(cursor, "circulation_ack_open", _open_statement(), [notice_id])
        row = cursor.fetchone()
    return row is not None


def handling_pending(notice: Notice) -> bool:
    """Is the notice a 批办 one whose 批办单 is not 已办毕? No query for a 阅知 notice."""
    if notice.handling != Handling.ACTION:
        return False
    return (
        HandlingCase.objects.filter(notice_id=notice.pk).exclude(state=HandlingState.DONE).exists()
    )


def complete_after_answer(actor: Actor | None, notice_id: int) -> None:
    """Call right after the transaction that made an acknowledgement terminal has committed.

    The answer is saved whatever happens here: a database error is logged, not raised (the
    recipient's confirmation must not look failed), and the sweep completes the notice later.
    """
    try:
        complete_if_done(actor, notice_id)
    except DatabaseError:
        logger.exception("completion check of notice %s failed; the sweep will retry", notice_id)


def complete_if_done(actor: Actor | None, notice_id: int) -> bool:
    """Complete the notice if no acknowledgement is open any more (own transaction).

    One query when something is still open, which is the common case.
    """
    if has_open_acknowledgements(notice_id):
        return False
    with transaction.atomic(durable=True):
        notice = Notice.objects.select_for_update(no_key=True).filter(pk=notice_id).first()
        if notice is None or notice.state != NoticeState.CIRCULATING:
            return False
        if has_open_acknowledgements(notice_id):  # 补发 added recipients meanwhile
            return False
        if handling_pending(notice):  # 批办: the 办理结果 / 答复 is not in yet
            return False
        complete_locked(actor, notice)
    return True


def complete_locked(actor: Actor | None, notice: Notice) -> None:
    """办结 a circulating notice whose row the caller holds FOR UPDATE, with no open answers."""
    notice.complete()
    notice.completed_at = timezone.now()
    notice.save()
    append_event(
        actor,
        AuditAction.NOTICE_COMPLETED,
        notice,
        notice_id=notice.pk,
        from_state=NoticeState.CIRCULATING,
        to_state=NoticeState.COMPLETED,
    )
    request_render(notice.pk)  # the 阅知确认单, rendered by a worker after the commit


def complete_finished_notices() -> int:
    """Complete every circulating notice left with no open acknowledgement; how many.

    The repair for a process that died between an answer's commit and its completion check;
    the reminder sweep runs it. Nothing to do is one query.
    """
    open_acks = Acknowledgement.objects.filter(notice_id=OuterRef("pk"), state__in=ACK_OPEN_STATES)
    open_case = HandlingCase.objects.filter(notice_id=OuterRef("pk")).exclude(
        state=HandlingState.DONE
    )
    finished = list(
        Notice.objects.filter(state=NoticeState.CIRCULATING)
        .filter(~Exists(open_acks), ~Exists(open_case))
        .values_list("pk", flat=True)
    )
    completed = sum(complete_if_done(None, notice_id) for notice_id in finished)
    if completed:
        logger.warning("completed %d notice(s) whose last answer missed its completion", completed)
    return completed
