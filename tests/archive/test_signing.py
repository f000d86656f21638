"""The organisation's digital seal on archived records: PAdES with the chain, the DSS and (with a
TSA) time-stamps, against a certomancer PKI whose CRLs and time-stamping authority answer on
127.0.0.1; verification reports each check, and every kind of tampering fails with its reason."""

import hashlib
import io
import stat
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers

from circulation.archive import rendition as renditions
from circulation.archive.codes import ArchivalCode
from circulation.archive.models import ArchivedRecord
from circulation.archive.pdfinspect import inspect_pdf
from circulation.archive.seal import load_seal
from circulation.archive.signing import seal_mark, sign_record
from circulation.archive.sm3 import sm3_hex
from circulation.archive.stamp import SIG_FIELD, StampData, apply_stamp
from circulation.archive.verification import verify_record
from circulation.records.actors import Actor
from circulation.records.models import AuditEvent, Notice
from tests.builders import Bureau
from workflows.services.archiving import SealUnavailable, archive_notice

pytestmark = pytest.mark.django_db

Box = tuple[float, float, float, float]  # x0, top, x1, bottom (pdfplumber)


def _archive(bureau: Bureau, notice: Notice) -> ArchivedRecord:
    return archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")


def _file(record: ArchivedRecord) -> bytes:
    with record.file.open("rb") as handle:
        return handle.read()


def _replace_file(record: ArchivedRecord, media: Path, data: bytes) -> None:
    path = media / record.file.name
    path.chmod(0o644)
    path.write_bytes(data)


def _failed(record: ArchivedRecord) -> dict[str, str]:
    result = verify_record(ArchivedRecord.objects.get(pk=record.pk))
    assert not result.ok
    return {p.code: p.message_en for p in result.problems}


def _report_line(record: ArchivedRecord, code: str) -> dict[str, Any]:
    lines = record.checks_report["aspects"]["authenticity"]["checks"]
    return next(line for line in lines if line["code"] == code)


def _box(obj: dict[str, Any]) -> Box:
    return (obj["x0"], obj["top"], obj["x1"], obj["bottom"])


def _intersect(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_archiving_signs_the_record_and_verification_reports_each_check(
    bureau: Bureau, sample_completed: Notice, sealed_with: Any, api: Any
) -> None:
    sealed_with(tsa=True)
    record = _archive(bureau, sample_completed)
    data = _file(record)

    # What was sealed is the signed file: SHA-256 and SM3 of these bytes.
    assert hashlib.sha256(data).hexdigest() == record.record_sha256
    assert record.record_sm3 == sm3_hex(data) == hashlib.new("sm3", data).hexdigest()
    assert record.attachments[0]["sm3"] == sm3_hex(sample_completed.attachments.get().file.read())
    assert record.signature["signer"] == "测试县测试局电子印章"
    assert record.signature["timestamped"] is True
    assert record.signature["demo"] is False
    event = AuditEvent.objects.get(notice=sample_completed, action="notice.archived")
    assert event.data["sm3"] == record.record_sm3
    assert event.data["signed"] is True
    signed_line = _report_line(record, "signed")
    assert "测试县测试局电子印章" in signed_line["message"]

    # PAdES, the chain in the CMS, validation data in the DSS, a document time-stamp (LTA).
    reader = PdfFileReader(io.BytesIO(data))
    signature = reader.embedded_regular_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.field_name == SIG_FIELD
    assert len(signature.signed_data["certificates"]) >= 2  # the seal and its root
    assert "/DSS" in reader.root
    assert len(reader.root["/DSS"]["/Certs"]) >= 2
    assert len(reader.embedded_timestamp_signatures) == 1
    facts = inspect_pdf(data)
    assert facts.pdfa == "PDF/A-3b"  # the incremental updates kept the XMP identification
    assert facts.unembedded_fonts == []
    assert facts.active_content == []

    result = verify_record(record)
    assert result.ok, result.problems
    lines = {c.code: c for c in result.checks}
    for code in (
        "sha256",
        "sm3",
        "row_and_audit",
        "attachments",
        "sealed_data",
        "signature_intact",
        "signature_covers_file",
        "signature_trusted",
        "signing_time",
        "timestamp",
        "signature_certificate",
    ):
        assert lines[code].ok, code
    assert lines["timestamp"].message.startswith("时间戳有效")

    body = api(bureau.archivist).get(f"/api/v1/archive/{record.archival_code}/verify/").json()
    assert body["ok"] is True
    assert body["sm3"] == record.record_sm3
    assert body["signature"]["ok"] is True
    assert body["signature"]["timestamped"] is True
    assert body["signature"]["signer"] == "测试县测试局电子印章"
    assert body["signature"]["signed_at"].endswith("+08:00")
    assert {c["code"] for c in body["checks"]} >= set(lines)


def test_the_visible_signature_is_under_the_stamp_and_covers_nothing(
    bureau: Bureau, sample_completed: Notice, sealed_with: Any
) -> None:
    sealed_with()
    record = _archive(bureau, sample_completed)
    with pdfplumber.open(io.BytesIO(_file(record))) as pdf:
        page = pdf.pages[0]
        widgets = [a for a in page.annots if a.get("data", {}).get("FT") is not None]
        assert len(widgets) == 1
        sig: Box = (widgets[0]["x0"], widgets[0]["top"], widgets[0]["x1"], widgets[0]["bottom"])
        qr = next((i["x0"], i["top"], i["x1"], i["bottom"]) for i in page.images)
        red = [
            (o["x0"], o["top"], o["x1"], o["bottom"])
            for o in (*page.lines, *page.rects)
            if tuple(o.get("stroking_color") or ())[:1] == (1,)
            or (len(o.get("stroking_color") or ()) == 3 and o["stroking_color"][0] > 0.5)
        ]
        stamp: Box = (
            min(b[0] for b in red),
            min(b[1] for b in red),
            max(b[2] for b in red),
            max(b[3] for b in red),
        )
        covered = [c["text"] for c in page.chars if _intersect(sig, _box(c))]
        lines = [o for o in (*page.lines, *page.rects) if _intersect(sig, _box(o))]
    # The QR code's verify page reports the signature and each check, in both languages, once
    # someone verified (立即校验: a POST; opening the page shows the last stored check).
    client = Client()
    client.force_login(bureau.clerk)
    frozen = record.notice.record_renditions.get(frozen=True)
    assert client.post(f"/records/{frozen.pk}/verify/").status_code == 302
    html = client.get(f"/records/{frozen.pk}/verify/").content.decode()
    assert "电子签章有效：测试县测试局电子印章" in html
    assert "Signature valid" in html
    assert record.record_sm3 in html
    assert "The certificate of 测试县测试局电子印章 chains to a configured trust root" in html
    assert "✘" not in html
    assert not _intersect(sig, stamp), (sig, stamp)
    assert not _intersect(sig, qr)
    assert covered == []
    assert lines == []  # not over the facts table either
    assert sig[1] >= stamp[3]
    assert abs(sig[2] - stamp[2]) < 2


def _resign(record: ArchivedRecord, bureau: Bureau, seal: Any, *, validation: bool) -> bytes:
    """The record stamped again and signed by ``seal`` (another certificate)."""
    notice = record.notice
    rendition = notice.record_renditions.get(frozen=True)
    pdf = renditions.read_bytes(rendition)
    code = ArchivalCode(record.fonds_code, record.year, record.retention, record.unit_code, 1)
    mark = seal_mark(seal, record.archival_code, record.archived_at)
    stamped = apply_stamp(pdf, StampData.of(code, record.page_count), mark)
    if validation:
        return sign_record(stamped, seal)[0]
    meta = signers.PdfSignatureMetadata(
        field_name=SIG_FIELD, subfilter=fields.SigSeedSubFilter.PADES
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(stamped)),
        meta,
        signer=seal.signer,
        existing_fields_only=True,
    )
    return bytes(out.getvalue())


def test_tampering_fails_with_its_reason(
    bureau: Bureau, sample_completed: Notice, sealed_with: Any, settings: Any, media: Path
) -> None:
    pki = sealed_with()
    record = _archive(bureau, sample_completed)
    assert verify_record(record).ok
    original = _file(record)

    # A missing trust root: only another PKI's root is configured.
    settings.SEAL_TRUST_ROOTS = [str(pki.root_pem("other-root"))]
    failed = _failed(record)
    assert set(failed) == {"signature_trusted"}
    assert "does not chain to a configured trust root" in failed["signature_trusted"]
    settings.SEAL_TRUST_ROOTS = [str(pki.root_pem())]

    # A byte changed inside the signed range.
    altered = bytearray(original)
    at = original.index(b"stream", len(original) // 3) + 40
    altered[at] ^= 0x01
    _replace_file(record, media, bytes(altered))
    failed = _failed(record)
    assert "file_altered" in failed
    assert "signature_intact" in failed
    assert "changed" in failed["signature_intact"]

    # An incremental update appended after signing (a new title in the document information).
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    writer.document_meta.title = "篡改后的标题"
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils import generic

    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    _replace_file(record, media, out.getvalue())
    failed = _failed(record)
    assert "file_altered" in failed
    assert "signature_covers_file" in failed
    assert "incremental update was appended after signing" in failed["signature_covers_file"]
    assert "signature_intact" not in failed  # the signed revision itself is untouched

    # A wrong certificate: the record re-signed with a seal from a PKI nobody configured.
    sealed_with(cert="seal-foreign")
    foreign = load_seal()
    assert foreign is not None
    _replace_file(record, media, _resign(record, bureau, foreign, validation=False))
    sealed_with()
    failed = _failed(record)
    assert "does not chain to a configured trust root" in failed["signature_trusted"]
    assert "signature_certificate" in failed  # not the certificate recorded when archiving

    # An expired certificate: signed with the seal certificate that was valid only in 2020.
    sealed_with(cert="seal-expired")
    expired = load_seal()
    assert expired is not None
    _replace_file(record, media, _resign(record, bureau, expired, validation=False))
    sealed_with()
    failed = _failed(record)
    assert "signature_trusted" in failed
    assert any(
        word in failed["signature_trusted"] for word in ("not valid when signing", "expired")
    ), failed["signature_trusted"]

    # manage.py verify_archive names the record and the reason, and exits non-zero.
    with pytest.raises(CommandError) as caught:
        call_command("verify_archive", stdout=io.StringIO(), stderr=io.StringIO())
    assert f"{record.archival_code}: signature_trusted" in str(caught.value)

    # Put back, it verifies again (also by the command, which counts the signed records).
    _replace_file(record, media, original)
    assert verify_record(ArchivedRecord.objects.get(pk=record.pk)).ok
    out = io.StringIO()
    call_command("verify_archive", stdout=out)
    assert "1 with a valid signature, 0 time-stamped" in out.getvalue()


def test_a_tsa_that_does_not_answer_leaves_a_signed_record_without_time_stamp(
    bureau: Bureau, sample_completed: Notice, sealed_with: Any, settings: Any
) -> None:
    sealed_with()
    settings.TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: nothing answers
    settings.TSA_TIMEOUT = 2
    record = _archive(bureau, sample_completed)
    assert record.signature["timestamped"] is False
    line = _report_line(record, "timestamp")
    assert line["ok"] is False
    assert line["review"] is True
    assert "时间戳服务不可用" in line["message"]
    result = verify_record(record)
    assert result.ok, result.problems
    assert result.signature is not None
    assert result.signature["timestamped"] is False
    assert "No time-stamp" in next(c for c in result.checks if c.code == "timestamp").message_en


def test_without_a_seal_archiving_is_refused_when_required(
    bureau: Bureau, sample_completed: Notice, settings: Any
) -> None:
    settings.SEAL_REQUIRED = True
    with pytest.raises(SealUnavailable) as caught:
        _archive(bureau, sample_completed)
    assert caught.value.status == 503
    assert "SEAL_PKCS12_PATH" in caught.value.message
    assert not ArchivedRecord.objects.exists()
    sample_completed.refresh_from_db()
    assert sample_completed.state == "completed"


def test_a_misconfigured_seal_is_never_replaced_by_the_demo(
    bureau: Bureau, sample_completed: Notice, settings: Any, media: Path
) -> None:
    call_command("seal_certificate", create_demo=True, organisation=bureau.org.name)
    settings.SEAL_PKCS12_PATH = str(media / "missing.p12")
    with pytest.raises(SealUnavailable) as caught:
        _archive(bureau, sample_completed)
    assert "does not exist" in caught.value.message_en
    assert not ArchivedRecord.objects.exists()


@pytest.mark.django_db(False)
def test_the_demo_seal_is_marked_made_once_and_never_used_beside_a_real_one(
    settings: Any, media: Path, sealed_with: Any, capsys: Any
) -> None:
    settings.SEAL_PKCS12_PATH = ""
    settings.SEAL_TRUST_ROOTS = []
    call_command("seal_certificate", create_demo=True, organisation="舞阳县工业和信息化局")
    directory = media / "seal" / "demo"
    key_file = directory / "demo-seal.p12"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    call_command("seal_certificate", create_demo=True, organisation="舞阳县工业和信息化局")
    assert key_file.read_bytes() == first  # made once
    seal = load_seal()
    assert seal is not None
    assert seal.demo
    subject = seal.certificate.subject.native
    assert "演示" in subject["common_name"]
    assert "DEMO" in subject["common_name"]
    assert "DEMO" in subject["organizational_unit_name"]
    call_command("seal_certificate")
    assert "演示 DEMO" in capsys.readouterr().out

    sealed_with()  # a real seal configured: the demo one is not used
    real = load_seal()
    assert real is not None
    assert not real.demo
    assert real.name == "测试县测试局电子印章"
