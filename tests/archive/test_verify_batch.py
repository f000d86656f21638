"""Verifying many archived records reads the database once per batch, not once per record: the
same statements for one record as for three, each record still checked fully (its signature, its
sealed data against the database, its attachments), a change around the sealing trigger named on
the one record it touches; and pyHanko reads a signature's hex string the same with the faster
reader."""

import io
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError

from circulation.archive import pdf_speed
from circulation.archive.models import ArchivedRecord
from circulation.archive.verification import BATCH_QUERIES, verify_record, verify_records
from circulation.records.actors import Actor
from circulation.records.models import Notice
from tests.archive.builders import completed_notice
from tests.builders import Bureau
from tests.helpers import ack_of, write_around_audit_trigger
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(bureau: Bureau, sealed_with: Any) -> list[ArchivedRecord]:
    sealed_with()
    notices = [completed_notice(bureau, f"舞工信〔2022〕{n}号") for n in (51, 52, 53)]
    archived = [
        archive_notice(Actor(bureau.archivist), notice.pk, retention="D30") for notice in notices
    ]
    return list(ArchivedRecord.objects.filter(pk__in=[r.pk for r in archived]).order_by("pk"))


def test_a_batch_costs_the_statements_of_one_record(
    records: list[ArchivedRecord], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(BATCH_QUERIES):
        one = verify_record(records[0])
    with django_assert_num_queries(BATCH_QUERIES):
        results = verify_records(records)
    assert one.ok, one.problems
    assert [r.ok for r in results] == [True, True, True], [r.problems for r in results]
    for result in results:
        assert result.signature is not None
        assert result.signature["ok"]
        codes = {line.code for line in result.checks if line.ok}
        assert {"signature_trusted", "sealed_data", "attachments", "row_and_audit"} <= codes


def test_a_change_is_named_on_the_record_it_touches(records: list[ArchivedRecord]) -> None:
    ack = ack_of(records[1].notice, "gyg_2")
    write_around_audit_trigger(
        "UPDATE records_acknowledgement SET comment = %s WHERE id = %s", ["未学习", ack.pk]
    )
    write_around_audit_trigger(
        'UPDATE records_auditevent SET data = data || \'{"sha256": "00"}\'::jsonb'
        " WHERE notice_id = %s AND action = 'notice.archived'",
        [records[2].notice_id],
    )
    first, second, third = verify_records(records)
    assert first.ok, first.problems
    assert {(p.code, p.subject, p.field) for p in second.problems} == {
        ("recipient_changed", "gyg_2", "comment")
    }
    assert {p.code for p in third.problems} == {"audit_altered", "row_sha256_changed"}


def test_verify_archive_checks_every_record_by_batches(
    records: list[ArchivedRecord], monkeypatch: Any
) -> None:
    from circulation.archive.management.commands import verify_archive

    monkeypatch.setattr(verify_archive, "BATCH", 2)  # two batches: 2 records and 1
    out = StringIO()
    call_command("verify_archive", stdout=out)
    assert "3 records (3 with a valid signature" in out.getvalue()
    ack = ack_of(records[2].notice, "gyg_1")
    write_around_audit_trigger(
        "UPDATE records_acknowledgement SET comment = %s WHERE id = %s", ["改过", ack.pk]
    )
    with pytest.raises(CommandError) as failed:
        call_command("verify_archive", stdout=StringIO(), stderr=StringIO())
    assert f"{records[2].archival_code}: recipient_changed" in str(failed.value)
    assert records[0].archival_code not in str(failed.value)


def _both(raw: bytes) -> tuple[Any, Any]:
    """(pyHanko's own reader, the fast one) on ``raw``: each result, or the exception's type,
    and where each left the stream."""
    outcomes = []
    for reader in (pdf_speed._original, pdf_speed.read_hex_string):
        stream = io.BytesIO(raw)
        try:
            value: Any = reader(stream)
        except (PdfReadError, ValueError) as exc:
            value = type(exc)
        outcomes.append((value, stream.tell()))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(
    "raw",
    [
        b"<48656c6c6f> rest",
        b"<48 65\n6c\r\n6c\t6f>",
        b"<486>",  # odd: a last 0 is added
        b"<>",
        b"<" + b"ab" * 40000 + b">/Next",  # longer than a read chunk
        b"<48%comment\n65>",  # pyHanko's reader decides
        b"<48zz>",
        b"<4865",  # no end
        b"<E4B8AD>",
    ],
)
def test_the_fast_hex_reader_reads_as_pyhanko(raw: bytes) -> None:
    ours, theirs = _both(raw)
    assert ours == theirs


def test_the_fast_hex_reader_is_installed() -> None:
    import circulation.archive.signature_check  # noqa: F401  (installs it)

    assert generic.read_hex_string_from_stream is pdf_speed.read_hex_string


def test_records_of_notices_checked_alone_and_in_batch_agree(
    records: list[ArchivedRecord], bureau: Bureau
) -> None:
    alone = [verify_record(r) for r in records]
    together = verify_records(records)
    assert [(a.ok, a.sha256, a.signature) for a in alone] == [
        (t.ok, t.sha256, t.signature) for t in together
    ]
    assert Notice.objects.filter(pk__in=[r.notice_id for r in records], state="archived").count()


def test_a_delegated_answer_and_a_person_without_display_name_cost_no_more_statements(
    bureau: Bureau, sealed_with: Any, django_assert_num_queries: Any
) -> None:
    """The batch loads only the fields the record data reads: a 代理 answer (acted_by) and a
    name that falls back to first/last name are read in the same statements."""
    from circulation.records.models import Acknowledgement, Person

    sealed_with()
    notice = completed_notice(bureau, "舞工信〔2022〕71号")
    first = ack_of(notice, "gyg_1")
    second = ack_of(notice, "gyg_2")
    Acknowledgement.objects.filter(pk=first.pk).update(acted_by=second.person)
    Person.objects.filter(pk=second.person_id).update(
        display_name="", first_name="小明", last_name="张"
    )
    record = archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    plain = archive_notice(
        Actor(bureau.archivist),
        completed_notice(bureau, "舞工信〔2022〕72号").pk,
        retention="D30",
    )
    records = list(ArchivedRecord.objects.filter(pk__in=[record.pk, plain.pk]).order_by("pk"))
    with django_assert_num_queries(BATCH_QUERIES):
        results = verify_records(records)
    assert [r.ok for r in results] == [True, True], [r.problems for r in results]
