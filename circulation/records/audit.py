"""审计: append hash-chained events inside the caller's transaction, and verify the chain."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from circulation.records.actors import Actor
from circulation.records.models import AuditAction, AuditChainHead, AuditEvent, Notice

GENESIS_HASH = "0" * 64


def body_json(event: AuditEvent) -> str:
    """The canonical form of what an event says (everything but its place in the chain): sorted
    keys, no spaces, UTC time to the microsecond, UTF-8 text."""
    at: datetime = event.at
    payload = {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_username,
        "action": event.action,
        "notice": event.notice_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": event.data,
        "ip": event.ip,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body_digest(event: AuditEvent) -> str:
    return hashlib.sha256(body_json(event).encode("utf-8")).hexdigest()


def link_hash(seq: int, prev_hash: str, digest: str) -> str:
    """An event's hash: SHA-256 over ``"<seq>:<previous hash>:<SHA-256 of its body>"``.

    PostgreSQL computes the same expression in :data:`APPEND_SQL`, so that an append is one
    statement; :func:`verify_chain` recomputes it here.
    """
    return hashlib.sha256(f"{seq}:{prev_hash}:{digest}".encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    return link_hash(event.seq, event.prev_hash, body_digest(event))


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


# One statement locks the chain head, appends the event linked to it and moves the head: the
# head's row lock serialises every audited write until its COMMIT, so the less happens while it
# is held, the more audited writes per second. The sub-statements see one snapshot; the head row
# comes from FOR UPDATE (the latest committed version) and the UPDATE re-reads it after the lock.
# The event's foreign key to its notice takes FOR KEY SHARE on the notice row at the end of the
# statement, with the head held: services therefore lock notices FOR NO KEY UPDATE (which does
# not conflict with KEY SHARE), never FOR UPDATE, or a notice lock holder waiting for the head
# and an appender waiting for the notice would deadlock.
APPEND_SQL = """
WITH head AS (
    SELECT last_seq + 1 AS seq, last_hash AS prev_hash
    FROM records_auditchainhead WHERE id = 1 FOR UPDATE
), linked AS (
    SELECT seq, prev_hash,
           encode(sha256(convert_to(seq::text || ':' || prev_hash || ':' || %s, 'UTF8')), 'hex')
               AS hash
    FROM head
), appended AS (
    INSERT INTO records_auditevent
        (seq, at, actor_id, actor_username, action, notice_id, object_type, object_id,
         from_state, to_state, data, ip, prev_hash, hash)
    SELECT seq, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::inet, prev_hash, hash
    FROM linked
    RETURNING id, seq, prev_hash, hash
), moved AS (
    UPDATE records_auditchainhead SET last_seq = appended.seq, last_hash = appended.hash
    FROM appended WHERE records_auditchainhead.id = 1
)
SELECT id, seq, prev_hash, hash FROM appended
"""


def append_event(
    actor: Actor | None,
    action: AuditAction,
    obj: Any,
    *,
    notice_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction that made the change it records.

    ``action`` is a member of :class:`~circulation.records.models.AuditAction` (a new kind of
    event is a new member there, with its Chinese name).

    Callers take their own row locks first; the chain head is always locked last, so the lock
    order (notice → acknowledgement → chain head) is the same everywhere. The append is one
    statement (:data:`APPEND_SQL`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_event must run inside the change's transaction")
    spec = EventSpec(action, obj, notice_id, from_state, to_state, data)
    event = _new_event(actor, spec, timezone.now())
    at: datetime = event.at
    params: list[str | int | datetime | None] = [
        body_digest(event),
        at,
        event.actor_id,
        event.actor_username,
        event.action,
        event.notice_id,
        event.object_type,
        event.object_id,
        event.from_state,
        event.to_state,
        json.dumps(event.data, ensure_ascii=False),
        event.ip,
    ]
    with connection.cursor() as cursor:
        cursor.execute(APPEND_SQL, params)
        row = cursor.fetchone()
        if row is None:  # no chain head yet (a database migrated without its data step)
            _lock_head()
            cursor.execute(APPEND_SQL, params)
            row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the audit chain head is missing (审计链头缺失)")
    event.pk, event.seq, event.prev_hash, event.hash = row
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _new_event(actor: Actor | None, spec: "EventSpec", at: datetime) -> AuditEvent:
    """An unsaved event with everything but its place in the chain."""
    user = actor.user if actor else None
    ip = actor.ip if actor else None
    if ip and ":" in ip:  # hash the address as the database will store it
        ip = clean_ipv6_address(ip)
    return AuditEvent(
        at=at,
        actor=user,
        actor_username=user.username if user else "",
        action=spec.action,
        notice_id=spec.notice_id,
        object_type=spec.obj._meta.label_lower if spec.obj is not None else "",
        object_id=str(spec.obj.pk) if spec.obj is not None else "",
        from_state=spec.from_state,
        to_state=spec.to_state,
        data=spec.data or {},
        ip=ip,
    )


@dataclass(frozen=True)
class EventSpec:
    """One event for :func:`append_events`: what ``append_event`` takes after the actor."""

    action: AuditAction
    obj: Any
    notice_id: int | None = None
    from_state: str = ""
    to_state: str = ""
    data: dict[str, Any] | None = None


def append_events(actor: Actor | None, specs: Sequence[EventSpec]) -> list[AuditEvent]:
    """Append many events with one chain-head lock and one INSERT (e.g. a sweep batch).

    Same rules as :func:`append_event`: inside the change's transaction, the chain head locked
    last. The events are chained in the order given, so ``verify_chain`` sees no difference
    between them and events appended one by one. Costs three queries whatever their number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_events must run inside the change's transaction")
    if not specs:
        return []
    at = timezone.now()
    events = [_new_event(actor, spec, at) for spec in specs]
    head = _lock_head()
    seq, prev_hash = head.last_seq, head.last_hash
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = prev_hash = event_hash(event)
    AuditEvent.objects.bulk_create(events)
    head.last_seq = seq
    head.last_hash = prev_hash
    head.save(update_fields=["last_seq", "last_hash"])
    return events


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_bad_event: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok, "events_checked": self.events_checked}
        if not self.ok:
            body["first_bad_event"] = self.first_bad_event
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class Scope:
    """Whose events a report counts and names: one organisation's (``organisation_id``; events
    belong to their notice's organisation, or to their actor's when they have no notice)."""

    organisation_id: int | None


OTHER_ORGANISATION = "（位于其他机构的事件 / in another organisation's event）"


def verify_chain(batch_size: int = 2000, *, scope: Scope | None = None) -> ChainReport:
    """Recompute every hash and link, and compare the chain head with the last event.

    Detects edits, deletions, insertions, a cut tail, a head that disagrees with the events or
    is missing, and an empty log while notices exist (the tables emptied around the guards).

    The whole chain is always verified (every link is needed); with a ``scope`` the report
    counts only that organisation's events, and a bad event of another organisation is reported
    without its number (the reason says where it is).
    """
    events = AuditEvent.objects.order_by("seq")
    if scope is not None:
        events = events.annotate(
            owner=Coalesce(F("notice__organisation_id"), F("actor__organisation_id"))
        )
    expected_prev = GENESIS_HASH
    expected_seq = 1
    counted = 0

    def broken(seq: int | None, reason: str, event: AuditEvent | None = None) -> ChainReport:
        if scope is not None and event is not None and event.owner != scope.organisation_id:  # type: ignore[attr-defined]
            return ChainReport(False, counted, None, reason + OTHER_ORGANISATION)
        return ChainReport(False, counted, seq, reason)

    for event in events.iterator(chunk_size=batch_size):
        if scope is None or event.owner == scope.organisation_id:  # type: ignore[attr-defined]
            counted += 1
        if event.seq != expected_seq:
            return broken(expected_seq, "missing event (序号不连续)")
        if event.prev_hash != expected_prev:
            return broken(event.seq, "broken link (前一哈希不符)", event)
        if event_hash(event) != event.hash:
            return broken(event.seq, "content altered (内容被修改)", event)
        expected_prev = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return broken(None, "chain head missing (审计链头缺失)")
    if head.last_seq > last_seq:
        return broken(expected_seq, "events missing at the end (链尾缺失)")
    if head.last_seq < last_seq:
        return broken(head.last_seq + 1, "chain head behind the events (链头与事件不符)")
    if head.last_hash != expected_prev:
        return broken(last_seq or None, "chain head hash differs (链头哈希与末条事件不符)")
    if last_seq == 0 and Notice.objects.exists():
        return broken(None, "no audit events although notices exist (审计日志为空但存在收文)")
    return ChainReport(True, counted)
