"""The data of an acknowledgement record, collected from the database in six queries.

The record data is plain JSON (strings, numbers, lists, dicts; times as ISO 8601 in local time
with the offset), so that it can be hashed canonically (:func:`content_hash`), embedded in the PDF
as ``record.json`` and compared years later. It holds nothing that changes without the record
changing: no "now", no overdue flags, no notice state (archiving must not change the hash).
Bump :data:`RECORD_FORMAT` when the layout or the meaning of the data changes: every record is
then regenerated on its next request.
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone, translation

from circulation.records.models import (
    Acknowledgement,
    Attachment,
    CirculationRound,
    Notice,
    Person,
    Unit,
)
from workflows.machines import AckState

RECORD_FORMAT = 1
RecordData = dict[str, Any]
NO_UNIT = {"code": "", "name": "未指定机构"}
COUNTED_STATES = [state.value for state in AckState]


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the form that is hashed and embedded."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: RecordData) -> str:
    """SHA-256 of the record data's canonical JSON (the rendition's key)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _person(person: Person | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"username": person.username, "name": person.name}


def _unit(unit: Unit | None) -> dict[str, str]:
    return {"code": unit.code, "name": unit.name} if unit else dict(NO_UNIT)


def _totals(states: Iterator[str]) -> dict[str, int]:
    counts = dict.fromkeys(COUNTED_STATES, 0)
    total = 0
    for state in states:
        counts[state] += 1
        total += 1
    return {"total": total, **counts}


def _notice_query(notice_id: int, *, lock: bool) -> Notice:
    query = Notice.objects.select_related("organisation", "received_by")
    if lock:
        query = query.select_for_update(no_key=True, of=("self",))
    return query.get(pk=notice_id)


def collect_record_data(notice_id: int, *, lock: bool = False) -> RecordData:
    """Everything the record shows, in a constant number of queries (6) for any recipient count.

    With ``lock`` the notice row is locked first (``SELECT … FOR UPDATE``; the caller's
    transaction), so that the data is consistent with every service that changes
    acknowledgements (they all lock the notice row first). Labels are always zh-hans, whatever
    language the request asked for: the data, and so its hash, must not depend on it.
    """
    with translation.override("zh-hans"):
        return _collect(notice_id, lock=lock)


def _collect(notice_id: int, *, lock: bool) -> RecordData:
    notice = _notice_query(notice_id, lock=lock)
    rounds = list(_rounds_query([notice.pk]))
    acks = list(_acks_query([notice.pk]))
    attachments = list(Attachment.objects.filter(notice_id=notice.pk).order_by("pk"))
    return _build(notice, rounds, acks, attachments)


def _rounds_query(notice_ids: list[int]) -> Any:
    return (
        CirculationRound.objects.filter(notice_id__in=notice_ids)
        .select_related("forwarded_by")
        .prefetch_related(
            Prefetch("units", queryset=Unit.objects.order_by("sort_order", "code")),
            Prefetch("people", queryset=Person.objects.order_by("username")),
        )
        .order_by("notice_id", "number")
    )


def _acks_query(notice_ids: list[int]) -> Any:
    return (
        Acknowledgement.objects.filter(notice_id__in=notice_ids)
        .select_related("person", "unit", "round", "acted_by")
        .order_by("notice_id", "unit__sort_order", "unit__code", "pk")
    )


# What ``_build`` reads of an acknowledgement and its related rows: the batch loads only these
# (a third less CPU for 1,000 recipients). A field read but not listed here is loaded one row at a
# time — the batch's fixed statement count (tests/archive/test_verify_batch.py) would show it.
_PERSON_FIELDS = ("username", "display_name", "first_name", "last_name")
_ACK_FIELDS = (
    "notice_id",
    "unit_id",
    "person_id",
    "round_id",
    "acted_by_id",
    "state",
    "due_at",
    "opened_at",
    "confirmed_at",
    "confirm_method",
    "comment",
    "reminders_sent",
    "escalations",
    "returned_at",
    "return_reason",
    "cancelled_at",
    *(f"person__{name}" for name in _PERSON_FIELDS),
    *(f"acted_by__{name}" for name in _PERSON_FIELDS),
    "unit__code",
    "unit__name",
    "unit__sort_order",
    "round__number",
)


def collect_records_data(notice_ids: list[int]) -> dict[int, RecordData]:
    """:func:`collect_record_data` of many notices at once, in the same six queries for any
    number of notices (no lock: for reading sealed, archived notices, e.g. verifying them)."""
    if not notice_ids:
        return {}
    with translation.override("zh-hans"):
        notices = Notice.objects.select_related("organisation", "received_by").in_bulk(notice_ids)
        rounds: dict[int, list[CirculationRound]] = {pk: [] for pk in notices}
        for r in _rounds_query(list(notices)):
            rounds[r.notice_id].append(r)
        acks: dict[int, list[Acknowledgement]] = {pk: [] for pk in notices}
        for ack in _acks_query(list(notices)).only(*_ACK_FIELDS):
            acks[ack.notice_id].append(ack)
        attachments: dict[int, list[Attachment]] = {pk: [] for pk in notices}
        for a in Attachment.objects.filter(notice_id__in=list(notices)).order_by("notice_id", "pk"):
            attachments[a.notice_id].append(a)
        return {
            pk: _build(notice, rounds[pk], acks[pk], attachments[pk])
            for pk, notice in notices.items()
        }


def _build(
    notice: Notice,
    rounds: list[CirculationRound],
    acks: list[Acknowledgement],
    attachments: list[Attachment],
) -> RecordData:
    organisation = notice.organisation
    units: list[dict[str, Any]] = []
    by_unit: dict[int | None, dict[str, Any]] = {}
    delegated: list[dict[str, Any]] = []
    for ack in acks:
        group = by_unit.get(ack.unit_id)
        if group is None:
            group = {**_unit(ack.unit), "recipients": []}
            by_unit[ack.unit_id] = group
            units.append(group)
        group["recipients"].append(
            {
                "person": _person(ack.person),
                "unit": _unit(ack.unit)["name"],
                "round": ack.round.number,
                "state": ack.state,
                "state_label": str(AckState(ack.state).label),
                "due_at": _time(ack.due_at),
                "opened_at": _time(ack.opened_at),
                "confirmed_at": _time(ack.confirmed_at),
                "confirm_method": ack.confirm_method,
                "comment": ack.comment,
                "reminders": ack.reminders_sent,
                "escalations": ack.escalations,
                "returned_at": _time(ack.returned_at),
                "return_reason": ack.return_reason,
                "cancelled_at": _time(ack.cancelled_at),
            }
        )
        if ack.acted_by_id is not None:  # 代理: "X 代 Y" (only then: older data stays as it was)
            group["recipients"][-1]["acted_by"] = _person(ack.acted_by)
            delegated.append(_delegated(ack))
    for group in units:
        group["totals"] = _totals(r["state"] for r in group["recipients"])

    data: RecordData = {
        "format": RECORD_FORMAT,
        "organisation": {
            "name": organisation.name,
            "short_name": organisation.short_name,
            "fonds_code": organisation.fonds_code,
        },
        "notice": {
            "id": notice.pk,
            "doc_number": notice.doc_number,
            "doc_number_original": notice.doc_number_original,
            "title": notice.title,
            "issuer": notice.issuer,
            "doc_type": notice.doc_type,
            "addressees": notice.addressees,
            # A bare title gets its 书名号; one typed with them (and a 文号 after) stays as typed.
            "forwards": [t if "《" in t else f"《{t}》" for t in notice.forwards],
            "issued_on": _date(notice.issued_on),
            "secrecy": notice.secrecy,
            "secrecy_label": notice.get_secrecy_display(),
            "urgency": notice.urgency,
            "urgency_label": notice.get_urgency_display(),
            "handling": notice.handling,
            "handling_label": notice.get_handling_display(),
            "received_at": _time(notice.received_at),
            "received_by": _person(notice.received_by),
            "registration_no": notice.registration_no,
            "registered_at": _time(notice.registered_at),
            "instruction": notice.instruction,
            "due_at": _time(notice.due_at),
            "completed_at": _time(notice.completed_at),
            "closing_reason": notice.closing_reason,
        },
        "rounds": [
            {
                "number": r.number,
                "forwarded_by": _person(r.forwarded_by),
                "forwarded_at": _time(r.forwarded_at),
                "instruction": r.instruction,
                "due_at": _time(r.due_at),
                "units": [_unit(unit) for unit in r.units.all()],
                "people": [_person(person) for person in r.people.all()],
                "recipients_added": r.recipients_added,
            }
            for r in rounds
        ],
        "units": units,
        "totals": _totals(ack.state for ack in acks),
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "extension": a.extension,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in attachments
        ],
    }
    if delegated:
        data["delegated"] = delegated
    return data


def _delegated(ack: Acknowledgement) -> dict[str, Any]:
    """One answer a delegate gave for the recipient: who, for whom, what, when."""
    at = ack.confirmed_at or ack.returned_at or ack.opened_at
    return {
        "by": _person(ack.acted_by),
        "principal": _person(ack.person),
        "unit": _unit(ack.unit)["name"],
        "state_label": str(AckState(ack.state).label),
        "at": _time(at),
    }


def user_texts(value: Any) -> Iterator[str]:
    """Every string in the record data (what the font must cover)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from user_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from user_texts(item)
