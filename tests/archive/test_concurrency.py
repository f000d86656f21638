"""Two archivists at once, with real transactions: consecutive 件号, never the same, no gap."""

import time
from typing import Any

import pytest

from circulation.archive import rendition
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.models import AuditEvent
from tests.archive.builders import completed_notice
from tests.builders import Bureau
from tests.helpers import race
from workflows.services import archiving

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the 件号 counter lock a little longer, so the other archiving really waits on it."""
    original = archiving.apply_stamp

    def slow(*args: Any, **kwargs: Any) -> bytes:
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(archiving, "apply_stamp", slow)


def test_two_archivings_at_once_get_consecutive_item_numbers(
    bureau: Bureau, slow_stamp: None
) -> None:
    first = completed_notice(bureau, "舞工信〔2022〕25号")
    second = completed_notice(bureau, "舞工信〔2022〕26号", attachment=False)
    for notice in (first, second):  # render both records up front (outside the race)
        rendition.current(notice, Actor(bureau.archivist))
    other = type(bureau.archivist).objects.create_user(
        "archivist2", organisation=bureau.org, display_name="赵档案"
    )
    other.groups.add(*bureau.archivist.groups.all())

    results = race(
        [
            lambda: archiving.archive_notice(Actor(bureau.archivist), first.pk, retention="D30"),
            lambda: archiving.archive_notice(Actor(other), second.pk, retention="D30"),
        ]
    )

    assert all(isinstance(r, ArchivedRecord) for r in results), results
    codes = sorted(r.archival_code for r in results)
    assert codes == ["Z109-WS·2022-D30-BGS-0001", "Z109-WS·2022-D30-BGS-0002"]
    assert sorted(ArchivedRecord.objects.values_list("item_no", flat=True)) == [1, 2]
    assert ItemCounter.objects.get(unit_code="BGS", year=2022).last_value == 2
    assert AuditEvent.objects.filter(action="notice.archived").count() == 2
    assert verify_chain().ok


def test_the_same_notice_archived_twice_at_once_is_one_record_and_one_409(
    bureau: Bureau, slow_stamp: None
) -> None:
    notice = completed_notice(bureau, attachment=False)
    rendition.current(notice, Actor(bureau.archivist))

    results = race(
        [
            lambda: archiving.archive_notice(Actor(bureau.archivist), notice.pk, retention="Y"),
            lambda: archiving.archive_notice(Actor(bureau.archivist), notice.pk, retention="Y"),
        ]
    )

    records = [r for r in results if isinstance(r, ArchivedRecord)]
    conflicts = [r for r in results if isinstance(r, archiving.Conflict)]
    assert len(records) == 1, results
    assert len(conflicts) == 1, results
    assert conflicts[0].code == "already_archived"
    assert ArchivedRecord.objects.count() == 1
    assert ItemCounter.objects.get().last_value == 1  # the loser took no number


def _in_another_connection(call: Any) -> Any:
    """Run ``call`` in a thread with its own database connection (committed when it returns);
    its result, or the exception it raised."""
    return race([call])[0]


def _first_stamp_runs(monkeypatch: pytest.MonkeyPatch, during: Any) -> tuple[list[str], list[Any]]:
    """Run ``during`` (in another connection) while this thread's first stamp is made; returns
    the 件号 of every stamp this thread made and what ``during`` returned."""
    import threading

    original = archiving.apply_stamp
    main = threading.get_ident()
    stamped: list[str] = []
    outcome: list[Any] = []

    def stamp(pdf: bytes, data: Any, mark: Any = None) -> bytes:
        if threading.get_ident() == main:
            stamped.append(f"{data.unit_code}-{data.item_no:04d}")
            if len(stamped) == 1:
                outcome.append(_in_another_connection(during))
        return original(pdf, data, mark)

    monkeypatch.setattr(archiving, "apply_stamp", stamp)
    return stamped, outcome


def test_no_row_is_locked_while_the_record_is_stamped_and_signed(
    bureau: Bureau, sealed_with: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stamping and signing take seconds: another transaction can lock the notice and the
    group's 件号 counter meanwhile (NOWAIT: it would fail at once on a held lock)."""
    from django.db import transaction

    from circulation.records.models import Notice

    sealed_with()
    notice = completed_notice(bureau, "舞工信〔2022〕27号", attachment=False)
    rendition.current(notice, Actor(bureau.archivist))
    ItemCounter.objects.create(fonds_code="Z109", year=2022, retention="D30", unit_code="BGS")
    signing = archiving.sign_record
    locked: list[Any] = []

    def lock_both() -> bool:
        with transaction.atomic():
            list(Notice.objects.select_for_update(nowait=True).filter(pk=notice.pk))
            list(ItemCounter.objects.select_for_update(nowait=True).all())
        return True

    def sign(*args: Any, **kwargs: Any) -> Any:
        locked.append(_in_another_connection(lock_both))
        return signing(*args, **kwargs)

    monkeypatch.setattr(archiving, "sign_record", sign)
    record = archiving.archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    assert locked == [True]
    assert record.signature
    assert archiving.verify_record(record).ok


def test_a_number_taken_while_signing_is_stamped_and_signed_again(
    bureau: Bureau, sealed_with: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another archiving into the same group commits 件号 1 while this one is stamping with 1:
    this one stamps and signs again with 2; both files carry their own number and verify."""
    from circulation.archive.pdfinspect import inspect_pdf

    sealed_with()
    ours = completed_notice(bureau, "舞工信〔2022〕28号", attachment=False)
    theirs = completed_notice(bureau, "舞工信〔2022〕29号", attachment=False)
    for notice in (ours, theirs):
        rendition.current(notice, Actor(bureau.archivist))
    other = type(bureau.archivist).objects.create_user(
        "archivist3", organisation=bureau.org, display_name="钱档案"
    )
    other.groups.add(*bureau.archivist.groups.all())
    stamped, outcome = _first_stamp_runs(
        monkeypatch,
        lambda: archiving.archive_notice(Actor(other), theirs.pk, retention="D30"),
    )
    record = archiving.archive_notice(Actor(bureau.archivist), ours.pk, retention="D30")
    assert isinstance(outcome[0], ArchivedRecord), outcome
    assert stamped == ["BGS-0001", "BGS-0002"]
    assert record.archival_code == "Z109-WS·2022-D30-BGS-0002"
    first = ArchivedRecord.objects.get(notice=theirs)
    assert first.archival_code == "Z109-WS·2022-D30-BGS-0001"
    for archived in (first, record):
        with archived.file.open("rb") as handle:
            text = inspect_pdf(handle.read()).first_page_text
        assert f"{archived.item_no:04d}" in text
        result = archiving.verify_record(archived)
        assert result.ok, result.problems
    assert ItemCounter.objects.get(unit_code="BGS", year=2022).last_value == 2
    assert verify_chain().ok


def test_a_notice_changed_while_signing_is_not_sealed(
    bureau: Bureau, sealed_with: Any, monkeypatch: pytest.MonkeyPatch, media: Any
) -> None:
    """The record's data is compared with the database under the lock, after signing: a change
    made meanwhile refuses the archiving, and nothing is written."""
    from circulation.records.models import Acknowledgement, Notice

    sealed_with()
    notice = completed_notice(bureau, "舞工信〔2022〕30号", attachment=False)
    rendition.current(notice, Actor(bureau.archivist))
    ack = Acknowledgement.objects.filter(notice=notice).order_by("pk").first()
    assert ack is not None
    _stamped, outcome = _first_stamp_runs(
        monkeypatch,
        lambda: Acknowledgement.objects.filter(pk=ack.pk).update(comment="签章期间改过"),
    )
    with pytest.raises(archiving.ArchiveChecksFailed) as refused:
        archiving.archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    assert outcome == [1]
    assert "data_matches_database" in str(refused.value.extra)
    assert Notice.objects.get(pk=notice.pk).state == "completed"
    assert not ArchivedRecord.objects.exists()
    assert not ItemCounter.objects.filter(last_value__gt=0).exists()
    assert not list(media.rglob("archive/**/*.pdf"))
