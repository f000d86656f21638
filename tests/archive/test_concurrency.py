"""Two archivists at once, with real transactions: consecutive 件号, never the same, no gap."""

import time
from typing import Any

import pytest

from circulation.archive import rendition, services
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.records.models import AuditEvent
from tests.archive.conftest import completed_notice
from tests.conftest import Bureau
from tests.helpers import race
from workflows.services.audit import verify_chain
from workflows.services.context import Actor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the 件号 counter lock a little longer, so the other archiving really waits on it."""
    original = services.apply_stamp

    def slow(*args: Any, **kwargs: Any) -> bytes:
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "apply_stamp", slow)


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
            lambda: services.archive_notice(Actor(bureau.archivist), first.pk, retention="D30"),
            lambda: services.archive_notice(Actor(other), second.pk, retention="D30"),
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
            lambda: services.archive_notice(Actor(bureau.archivist), notice.pk, retention="Y"),
            lambda: services.archive_notice(Actor(bureau.archivist), notice.pk, retention="Y"),
        ]
    )

    records = [r for r in results if isinstance(r, ArchivedRecord)]
    conflicts = [r for r in results if isinstance(r, services.Conflict)]
    assert len(records) == 1, results
    assert len(conflicts) == 1, results
    assert conflicts[0].code == "already_archived"
    assert ArchivedRecord.objects.count() == 1
    assert ItemCounter.objects.get().last_value == 1  # the loser took no number
