"""Bad files: each refused with a clear bilingual reason (code, zh, en), never a crash."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfWriter

from circulation.intake import readers
from circulation.intake.errors import IntakeError
from circulation.intake.extraction import extract_file, extract_text
from tests.intake import builders

MAX = 50 * 1024 * 1024


def refused(name: str, data: bytes, max_bytes: int = MAX) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        extract_file(name, data, max_bytes=max_bytes)
    error = caught.value
    assert error.message
    assert error.message_en
    assert error.field == "file"
    return error


def test_empty_file() -> None:
    assert refused("notice.txt", b"").code == "empty"


def test_binary_junk_named_txt() -> None:
    junk = bytes(range(256)) * 40
    error = refused("notice.txt", junk)
    assert error.code == "not_text"
    assert "不是文本" in error.message
    assert "not text" in error.message_en


def test_huge_file_over_the_attachment_limit() -> None:
    data = builders.txt(builders.sample_lines())
    error = refused("notice.txt", data, max_bytes=len(data) - 1)
    assert error.code == "too_large"
    assert "MB" in error.message


def test_extension_must_match_the_content() -> None:
    _name, data = builders.build("docx", builders.sample_lines())
    assert refused("notice.pdf", data).code == "extension_mismatch"


def test_an_image_is_not_importable() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    assert refused("scan.png", png).code == "unsupported_format"


def test_scanned_pdf_without_text() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    error = refused("scan.pdf", out.getvalue())
    assert error.code == "no_text"
    assert "OCR" in error.message
    assert "OCR" in error.message_en


def test_encrypted_pdf() -> None:
    _name, data = builders.build("pdf", builders.notice_lines())
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    error = refused("locked.pdf", out.getvalue())
    assert error.code == "encrypted"
    assert "密码" in error.message


def test_pdf_with_an_owner_password_only_is_read() -> None:
    _name, data = builders.build("pdf", builders.notice_lines())
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    result = extract_file("restricted.pdf", out.getvalue(), max_bytes=MAX)
    assert result.fields["doc_number"].value == "舞工信〔2022〕25号"


def test_damaged_pdf() -> None:
    assert refused("broken.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n" + b"x" * 50).code in {
        "damaged",
        "no_text",
    }


def _docx_with(member: str, data: bytes, *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    _name, base = builders.build("docx", builders.notice_lines())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename), zipfile.ZIP_DEFLATED)
        target.writestr(member, data, compress)
    return out.getvalue()


def test_zip_bomb_by_ratio() -> None:
    data = _docx_with("word/media/padding.bin", b"\0" * (8 * 1024 * 1024))
    assert len(data) < 200_000  # 8 MiB of zeros squeezed ~1000:1
    assert refused("bomb.docx", data).code == "zip_bomb"


def test_zip_bomb_by_total_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real cap is 200 MiB; a 3 MiB one stands for it so the test stays small.
    monkeypatch.setattr(readers, "MAX_UNCOMPRESSED_BYTES", 3 * 1024 * 1024)
    member = bytes(range(256)) * 16 * 1024  # 4 MiB, barely compressible: no ratio alarm
    data = _docx_with("word/media/big.bin", member, compress=zipfile.ZIP_STORED)
    assert refused("big.docx", data).code == "zip_bomb"


@pytest.mark.parametrize(
    "member", ["../../etc/cron.d/evil", "/etc/passwd", "C:/x.xml", "a/../../b"]
)
def test_traversal_names_in_an_ofd(member: str) -> None:
    data = builders.ofd(builders.notice_lines(), extra_members={member: b"<x/>"})
    error = refused("notice.ofd", data)
    assert error.code == "zip_unsafe_name"
    assert member[:20] in error.message


def test_traversal_names_in_a_docx() -> None:
    data = _docx_with("../word/evil.xml", b"<x/>")
    assert refused("notice.docx", data).code == "zip_unsafe_name"


def test_too_many_members(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_ZIP_MEMBERS", 10)
    extra = {f"r/{i}.xml": b"" for i in range(8)}
    data = builders.ofd(builders.notice_lines(), extra_members=extra)
    assert refused("many.ofd", data).code == "zip_too_many_members"


def test_malformed_docx_part() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<<<not xml")
    assert refused("bad.docx", out.getvalue()).code == "damaged"


def test_ofd_with_an_entity_declaration_is_refused() -> None:
    data = builders.ofd(builders.notice_lines())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "OFD.xml":
                content = (
                    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' + content.split(b"?>", 1)[1]
                )
            target.writestr(info, content)
    assert refused("entity.ofd", out.getvalue()).code == "damaged"


def test_ofd_without_a_document() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
    assert refused("empty.ofd", out.getvalue()).code == "damaged"


def test_mixed_encodings_are_refused_naming_the_lines() -> None:
    lines = builders.notice_lines()
    data = "\n".join(lines[:3]).encode("utf-8") + b"\n" + "\n".join(lines[3:]).encode("gbk")
    error = refused("mixed.txt", data)
    assert error.code == "mixed_encodings"
    assert "UTF-8" in error.message
    assert "line 1" in error.message_en


def test_utf16_text_with_a_bom_is_refused_by_the_attachment_rule() -> None:
    data = "\n".join(builders.notice_lines()).encode("utf-16")
    assert refused("notice.txt", data).code == "type_not_allowed"


def test_empty_paste() -> None:
    with pytest.raises(IntakeError) as caught:
        extract_text("   \n ")
    assert caught.value.code == "empty"
    assert caught.value.field == "text"


def test_paste_with_a_control_character() -> None:
    with pytest.raises(IntakeError) as caught:
        extract_text("舞阳县工业和信息化局文件\n\x07舞工信〔2022〕25号")
    assert caught.value.code == "control_character"
    assert "U+0007" in caught.value.message


def test_control_characters_in_a_file_are_removed_and_said() -> None:
    lines = ["舞阳县工业和信息化局文件", "舞工信〔2022〕25号\u202e", "关于开会的通知"]
    _name, data = builders.build("docx", lines)
    result = extract_file("n.docx", data, max_bytes=MAX)
    assert result.fields["doc_number"].value == "舞工信〔2022〕25号"
    assert [w["code"] for w in result.warnings] == ["control_characters_removed"]
