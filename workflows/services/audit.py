"""审计: append hash-chained events inside the caller's transaction, and verify the chain."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from circulation.records.models import AuditChainHead, AuditEvent
from workflows.services.context import Actor

GENESIS_HASH = "0" * 64


def canonical_json(event: AuditEvent) -> str:
    """The canonical form hashed for an event: sorted keys, no spaces, UTC time, UTF-8 text."""
    at: datetime = event.at
    payload = {
        "seq": event.seq,
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
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_event(
    actor: Actor | None,
    action: str,
    obj: Any,
    *,
    notice_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction that made the change it records.

    Callers take their own row locks first; the chain head is always locked last, so the lock
    order (notice → acknowledgement → chain head) is the same everywhere.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the change's transaction")
    user = actor.user if actor else None
    ip = actor.ip if actor else None
    if ip and ":" in ip:  # hash the address as the database will store it
        ip = clean_ipv6_address(ip)
    # Everything that does not depend on the chain is prepared before the head is locked: the
    # lock serialises every audited write, so the time it is held is the system's throughput.
    event = AuditEvent(
        actor=user,
        actor_username=user.username if user else "",
        action=action,
        notice_id=notice_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        from_state=from_state,
        to_state=to_state,
        data=data or {},
        ip=ip,
    )
    last_seq, last_hash = _lock_head_row()
    event.seq, event.prev_hash, event.at = last_seq + 1, last_hash, timezone.now()
    event.hash = event_hash(event)
    event.save(force_insert=True)
    _move_head(event.seq, event.hash)
    return event


def _lock_head_row() -> tuple[int, str]:
    """Lock the chain head and read its tip (one statement; created on first use)."""
    sql = "SELECT last_seq, last_hash FROM records_auditchainhead WHERE id = 1"
    if connection.features.has_select_for_update:  # not SQLite, which serialises writers
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    if row is None:
        head = _lock_head()
        return head.last_seq, head.last_hash
    return int(row[0]), str(row[1])


def _move_head(seq: int, last_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE records_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
            [seq, last_hash],
        )


@dataclass(frozen=True)
class EventSpec:
    """One event for :func:`record_events`: what ``record_event`` takes after the actor."""

    action: str
    obj: Any
    notice_id: int | None = None
    from_state: str = ""
    to_state: str = ""
    data: dict[str, Any] | None = None


def record_events(actor: Actor | None, specs: Sequence[EventSpec]) -> list[AuditEvent]:
    """Append many events with one chain-head lock and one INSERT (e.g. a sweep batch).

    Same rules as :func:`record_event`: inside the change's transaction, the chain head locked
    last. The events are chained in the order given, so ``verify_chain`` sees no difference
    between them and events appended one by one. Costs three queries whatever their number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the change's transaction")
    if not specs:
        return []
    head = _lock_head()
    user = actor.user if actor else None
    ip = actor.ip if actor else None
    if ip and ":" in ip:
        ip = clean_ipv6_address(ip)
    at = timezone.now()
    seq, prev_hash = head.last_seq, head.last_hash
    events: list[AuditEvent] = []
    for spec in specs:
        seq += 1
        event = AuditEvent(
            seq=seq,
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
            prev_hash=prev_hash,
        )
        event.hash = event_hash(event)
        prev_hash = event.hash
        events.append(event)
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


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Recompute every hash and link; detect edits, deletions, insertions and a cut tail."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        checked += 1
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, "missing event (序号不连续)")
        if event.prev_hash != expected_prev:
            return ChainReport(False, checked, event.seq, "broken link (前一哈希不符)")
        if event_hash(event) != event.hash:
            return ChainReport(False, checked, event.seq, "content altered (内容被修改)")
        expected_prev = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return ChainReport(False, checked, expected_seq, "events missing at the end (链尾缺失)")
    return ChainReport(True, checked)
