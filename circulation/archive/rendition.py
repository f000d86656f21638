"""The acknowledgement record (阅知确认单) as the archive sees it: the latest rendition of a notice
from ``circulation.ackrecord`` (engineer C's app), its bytes, its data hash, and freezing it.

Only this module imports the record app, so the archive depends on one small interface:
``current_record(notice, *, actor=None) -> RecordRendition``, ``freeze_record(rendition)``, and
``collect_record_data``/``content_hash`` for the 真实性 check.
"""

from circulation.ackrecord.models import RecordRendition as Rendition
from circulation.records.actors import Actor
from circulation.records.models import Notice


def current(notice: Notice, actor: Actor | None) -> Rendition:
    """The notice's current record, rendered now if its data changed (outside any transaction).

    Raises C's ``Conflict`` (e.g. ``attachment_altered``, ``missing_glyphs``) or
    ``RecordUnavailable`` (503) when no record can be made; they reach the caller unchanged.
    """
    from circulation.ackrecord.renditions import current_record

    return current_record(notice, actor=actor)


def freeze(rendition: Rendition, actor: Actor | None) -> None:
    """Mark the rendition as the archived one (never regenerated), inside our transaction, after
    the notice row is locked. C re-checks that it is current and unaltered (``Conflict``)."""
    from circulation.ackrecord.renditions import freeze_record

    freeze_record(rendition, actor=actor)


def read_bytes(rendition: Rendition) -> bytes:
    with rendition.file.open("rb") as handle:
        data: bytes = handle.read()
    return data


def database_content_hash(notice_id: int) -> str:
    """The content hash of the record's data as the database holds it now."""
    from circulation.ackrecord.data import collect_record_data, content_hash

    return content_hash(collect_record_data(notice_id))


def embedded_content_hash(record_json: bytes | None, rendition_hash: str) -> str | None:
    """The content hash of the data in the embedded ``record.json`` (None if absent/unreadable).

    The file is an envelope ``{"rendition": {"content_hash", …}, "record": data}``; the hash is
    recomputed over ``record`` and must also equal the one the envelope states.
    """
    import json

    from circulation.ackrecord.data import content_hash

    if record_json is None:
        return None
    try:
        envelope = json.loads(record_json.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("record"), dict):
        return None
    stated = (envelope.get("rendition") or {}).get("content_hash")
    actual = content_hash(envelope["record"])
    if stated is not None and stated != rendition_hash:
        return f"stated:{stated}"
    return actual
