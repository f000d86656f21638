"""A rendition per content hash: regenerate only when the data changed; frozen is for ever."""

import threading
from typing import Any

import pytest
from django.db import connection

from circulation.ackrecord.data import collect_record_data, content_hash
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import current_record, freeze_record
from circulation.records.errors import Conflict
from circulation.records.models import Acknowledgement, AuditEvent
from tests.ackrecord.builders import confirm, forward, register_sample
from tests.builders import Bureau


def _half_confirmed(bureau: Bureau) -> tuple[Any, list[Acknowledgement]]:
    """The sample forwarded to 工业股 (4 people); the first one confirmed, three open."""
    notice = register_sample(bureau)
    forward(bureau, notice, units=("GYG",))
    acks = list(notice.acknowledgements.select_related("person").order_by("pk"))
    confirm(acks[0], 10)
    return notice, acks


@pytest.mark.django_db
def test_same_data_gives_the_same_rendition(bureau: Bureau, media: Any) -> None:
    notice, _ = _half_confirmed(bureau)
    first = current_record(notice)
    second = current_record(notice)
    assert second.pk == first.pk
    assert RecordRendition.objects.count() == 1
    assert AuditEvent.objects.filter(action="record.generated").count() == 1
    assert first.content_hash == content_hash(collect_record_data(notice.pk))
    assert len(list((media / "records").rglob("*.pdf"))) == 1


@pytest.mark.django_db
def test_a_new_confirmation_gives_a_new_rendition(bureau: Bureau) -> None:
    notice, acks = _half_confirmed(bureau)
    first = current_record(notice)
    confirm(acks[1], 20)
    second = current_record(notice)
    assert second.pk != first.pk
    assert second.content_hash != first.content_hash
    # the superseded rendition is pruned (tests/ackrecord/test_serving.py: its file too)
    assert list(RecordRendition.objects.filter(notice=notice)) == [second]
    assert current_record(notice).pk == second.pk


@pytest.mark.django_db
def test_a_reminder_counts_as_a_change(bureau: Bureau) -> None:
    notice, acks = _half_confirmed(bureau)
    first = current_record(notice)
    Acknowledgement.objects.filter(pk=acks[2].pk).update(reminders_sent=1)
    assert current_record(notice).pk != first.pk


@pytest.mark.django_db
def test_a_frozen_record_is_never_regenerated(bureau: Bureau) -> None:
    notice, acks = _half_confirmed(bureau)
    rendition = current_record(notice)
    frozen = freeze_record(rendition)
    assert frozen.frozen
    assert frozen.frozen_at is not None
    assert AuditEvent.objects.filter(action="record.frozen", object_id=str(rendition.pk)).exists()

    confirm(acks[1], 20)
    assert current_record(notice).pk == rendition.pk
    assert RecordRendition.objects.filter(notice=notice).count() == 1
    assert freeze_record(rendition).pk == rendition.pk  # freezing again is a no-op


@pytest.mark.django_db
def test_freezing_a_stale_or_altered_record_is_refused(bureau: Bureau) -> None:
    notice, acks = _half_confirmed(bureau)
    rendition = current_record(notice)
    confirm(acks[1], 20)
    with pytest.raises(Conflict) as stale:
        freeze_record(rendition)
    assert stale.value.code == "stale_record"

    fresh = current_record(notice)
    path = fresh.file.path
    with open(path, "r+b") as handle:
        handle.seek(200)
        handle.write(b"tampered")
    with pytest.raises(Conflict) as altered:
        freeze_record(fresh)
    assert altered.value.code == "record_altered"
    assert not RecordRendition.objects.filter(frozen=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_store_one_rendition(bureau: Bureau, media: Any) -> None:
    notice, _ = _half_confirmed(bureau)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = current_record(notice)
        except Exception as exc:  # asserted below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(r, RecordRendition) for r in results), results
    assert results[0].pk == results[1].pk
    assert RecordRendition.objects.filter(notice=notice).count() == 1
    assert AuditEvent.objects.filter(action="record.generated").count() == 1
    assert len(list((media / "records").rglob("*.pdf"))) == 1  # the loser removed its file
