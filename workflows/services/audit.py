"""审计: append hash-chained events inside the caller's transaction, and verify the chain."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
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
    head = _lock_head()
    user = actor.user if actor else None
    ip = actor.ip if actor else None
    if ip and ":" in ip:  # hash the address as the database will store it
        ip = clean_ipv6_address(ip)
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=timezone.now(),
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
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    head.last_seq = event.seq
    head.last_hash = event.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return event


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
