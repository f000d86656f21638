"""四性 checks: a failed check blocks archiving with its reason and writes nothing."""

import io
from typing import Any

import pikepdf
import pytest

from circulation.archive import rendition
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.archive.pdfinspect import inspect_pdf
from circulation.records.actors import Actor
from circulation.records.errors import Conflict
from circulation.records.models import Attachment, AuditEvent, Notice
from tests.builders import Bureau
from tests.helpers import small_pdf
from workflows.services.archiving import ArchiveChecksFailed, archive_notice

pytestmark = pytest.mark.django_db


def _nothing_written(notice: Notice, media: Any, events_before: int) -> None:
    assert not ArchivedRecord.objects.exists()
    assert not ItemCounter.objects.filter(last_value__gt=0).exists()
    assert not (media / "archive").exists() or not any((media / "archive").rglob("*.pdf"))
    assert AuditEvent.objects.count() == events_before
    notice.refresh_from_db()
    assert notice.state == "completed"


def test_an_attachment_altered_on_disk_blocks_archiving(
    bureau: Bureau, sample_completed: Notice, api: Any, media: Any
) -> None:
    rendition.current(sample_completed, None)  # rendered when it completed (the Celery task)
    attachment = Attachment.objects.get(notice=sample_completed)
    path = media / attachment.file.name
    path.write_bytes(path.read_bytes() + b"%tampered\n")
    events_before = AuditEvent.objects.count()

    response = api(bureau.archivist).post(
        f"/api/v1/notices/{sample_completed.pk}/archive/", {"retention": "D30"}, format="json"
    )

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "archive_checks_failed"
    assert "附件1.pdf" in body["detail"]
    assert "SHA-256" in body["detail"]
    assert "altered" in body["detail_en"]
    security = body["checks"]["aspects"]["security"]
    assert security["ok"] is False
    assert body["checks"]["aspects"]["usability"]["ok"] is True
    _nothing_written(sample_completed, media, events_before)


def test_an_attachment_whose_type_changed_is_refused(
    bureau: Bureau, sample_completed: Notice, media: Any
) -> None:
    rendition.current(sample_completed, None)
    attachment = Attachment.objects.get(notice=sample_completed)
    (media / attachment.file.name).write_bytes(b"MZ\x90\x00" + b"\x00" * 200)  # a Windows program
    events_before = AuditEvent.objects.count()
    with pytest.raises(ArchiveChecksFailed) as caught:
        archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")
    assert "可执行程序" in caught.value.message
    _nothing_written(sample_completed, media, events_before)


def test_a_missing_handling_record_blocks_archiving(
    bureau: Bureau, sample_completed: Notice, media: Any
) -> None:
    from tests.helpers import write_around_audit_trigger

    rendition.current(sample_completed, None)
    write_around_audit_trigger(
        "UPDATE records_auditevent SET action = 'x.forwarded' WHERE notice_id = %s"
        " AND action = 'notice.forwarded'",
        [sample_completed.pk],
    )
    events_before = AuditEvent.objects.count()
    with pytest.raises(ArchiveChecksFailed) as caught:
        archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")
    assert "传阅" in caught.value.message
    assert "notice.forwarded" in caught.value.message_en
    _nothing_written(sample_completed, media, events_before)


def _pdf_with(action: str) -> bytes:
    pdf = pikepdf.open(io.BytesIO(small_pdf()))
    if action == "js":
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
    else:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F="calc.exe")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("action", ["js", "launch"])
def test_active_content_in_a_pdf_is_found(action: str) -> None:
    facts = inspect_pdf(_pdf_with(action))
    assert facts.opens
    assert facts.active_content


def test_plain_pdf_has_no_pdfa_identification_and_broken_pdf_does_not_open() -> None:
    plain = inspect_pdf(small_pdf())
    assert plain.opens
    assert plain.pdfa is None
    assert not plain.active_content
    broken = inspect_pdf(b"%PDF-1.7\nnot really a pdf")
    assert not broken.opens


def test_the_sealed_file_is_removed_when_the_transaction_fails(
    bureau: Bureau, sample_completed: Notice, media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendition.current(sample_completed, None)
    events_before = AuditEvent.objects.count()

    def fail(*args: Any, **kwargs: Any) -> None:
        assert any((media / "archive").rglob("*.pdf"))  # written by then, inside the transaction
        raise RuntimeError("simulated failure after the file was written")

    monkeypatch.setattr(rendition, "freeze", fail)
    with pytest.raises(RuntimeError):
        archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")
    _nothing_written(sample_completed, media, events_before)


def test_an_existing_sealed_file_is_never_overwritten(
    bureau: Bureau, sample_completed: Notice, media: Any
) -> None:
    rendition.current(sample_completed, None)
    target = media / "archive" / "Z109" / "2022" / "Z109-WS·2022-D30-BGS-0001.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"an older file that must survive")
    events_before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as caught:
        archive_notice(Actor(bureau.archivist), sample_completed.pk, retention="D30")

    assert caught.value.code == "sealed_file_exists"
    assert target.read_bytes() == b"an older file that must survive"
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    assert not ArchivedRecord.objects.exists()
    assert AuditEvent.objects.count() == events_before
