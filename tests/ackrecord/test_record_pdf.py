"""The sample notice's record after a real circulation, read back with pdfplumber and pypdf."""

import hashlib
import json
import re
from typing import Any

import pytest

from circulation.ackrecord.data import canonical_json, collect_record_data, content_hash
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import current_record, verify_rendition
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent
from tests.ackrecord.builders import (
    RETURN_REASON,
    Circulated,
    circulate_sample,
    embedded_files,
    font_names,
    fonts_without_file,
    pdf_text,
    pdfa_identification,
    squeeze,
)
from tests.builders import SAMPLE, Bureau

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(circulated: Circulated, bureau: Bureau) -> tuple[RecordRendition, bytes]:
    rendition = current_record(circulated.notice, actor=Actor(bureau.clerk))
    with rendition.file.open("rb") as handle:
        return rendition, handle.read()


def test_every_recipient_and_the_notice_facts_are_in_the_text(
    circulated: Circulated, record: tuple[RecordRendition, bytes]
) -> None:
    rendition, data = record
    text = pdf_text(data)
    flat = squeeze(text)
    assert squeeze(SAMPLE["doc_number"]) in flat
    assert squeeze(SAMPLE["title"]) in flat
    assert "舞阳县工业和信息化局" in text
    assert "2022年9月29日" in text  # 成文日期
    assert "请各股室认真学习" in text
    assert len(circulated.confirmed) == 7
    for name, confirmed_at in circulated.confirmed.items():
        line = next((ln for ln in text.splitlines() if f" {name} " in f" {ln} "), None)
        assert line is not None, name
        assert confirmed_at in line, (name, line)
    assert circulated.returned in text
    assert RETURN_REASON in flat
    assert f"第 1 页 共 {rendition.page_count} 页" in text
    assert str(rendition.pk) in text
    for attachment in circulated.attachments:
        assert attachment.sha256 in flat


def test_fonts_are_embedded_and_the_file_is_pdfa_3b(record: tuple[RecordRendition, bytes]) -> None:
    rendition, data = record
    assert data.startswith(b"%PDF-")
    assert fonts_without_file(data) == []
    names = font_names(data)
    assert names
    assert all("CJK" in name for name in names), names
    assert pdfa_identification(data) == ("3", "B")
    assert rendition.sha256 == hashlib.sha256(data).hexdigest()
    assert rendition.size == len(data)
    assert verify_rendition(rendition)
    assert re.fullmatch(rf"records/\d{{4}}/{rendition.pk}\.pdf", rendition.file.name)


def test_attachments_and_the_record_json_are_embedded_with_matching_hashes(
    circulated: Circulated, record: tuple[RecordRendition, bytes]
) -> None:
    rendition, data = record
    files = embedded_files(data)
    assert set(files) == {"record.json", "attachment-01.pdf", "attachment-02.txt"}
    for index, attachment in enumerate(circulated.attachments, start=1):
        name = f"attachment-{index:02d}.{attachment.extension}"
        assert hashlib.sha256(files[name]).hexdigest() == attachment.sha256

    envelope = json.loads(files["record.json"])
    assert envelope["rendition"]["id"] == str(rendition.pk)
    assert envelope["rendition"]["content_hash"] == rendition.content_hash
    assert content_hash(envelope["record"]) == rendition.content_hash
    assert envelope["record"] == collect_record_data(circulated.notice.pk)
    returned = [
        r for u in envelope["record"]["units"] for r in u["recipients"] if r["state"] == "returned"
    ]
    assert [r["return_reason"] for r in returned] == [RETURN_REASON]
    assert envelope["record"]["totals"] == {
        "total": 8,
        "pending": 0,
        "read": 0,
        "confirmed": 7,
        "returned": 1,
        "cancelled": 0,
    }


def test_pdfa_associated_files_carry_a_relationship(record: tuple[RecordRendition, bytes]) -> None:
    import io

    import pikepdf

    _, data = record
    with pikepdf.open(io.BytesIO(data)) as pdf:
        relationships = {
            str(spec.UF): str(spec.AFRelationship)
            for spec in pdf.Root.AF  # type: ignore[attr-defined]
        }
    assert relationships["record.json"] == "/Data"
    assert {v for k, v in relationships.items() if k != "record.json"} == {"/Source"}


def test_generation_is_audited(
    circulated: Circulated, record: tuple[RecordRendition, bytes]
) -> None:
    rendition, _ = record
    event = AuditEvent.objects.get(action="record.generated")
    assert event.notice_id == circulated.notice.pk
    assert event.object_id == str(rendition.pk)
    assert event.actor_username == "clerk"
    assert event.data["sha256"] == rendition.sha256
    assert event.data["content_hash"] == rendition.content_hash


def test_the_record_data_is_collected_in_constant_queries(
    bureau: Bureau, django_assert_num_queries: Any
) -> None:
    notice = circulate_sample(bureau).notice
    with django_assert_num_queries(6):
        data = collect_record_data(notice.pk)
    assert data["totals"]["total"] == 8
    assert canonical_json(data) == canonical_json(collect_record_data(notice.pk))
