"""Content sniffing of uploads: real minimal files are built here and run through ``sniff_upload``.

Pure unit tests: no database, no Django request machinery.
"""

from __future__ import annotations

import base64
import contextlib
import io
import pickle
import struct
import zipfile
import zlib

import pytest

from circulation.records.sniffing import (
    MAX_ZIP_MEMBERS,
    RejectedUpload,
    SniffedType,
    sniff_upload,
)

MB = 1024 * 1024
LIMIT = 50 * MB

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOTICE_ZH = "关于召开2024年度工作会议的通知\r\n各科室：\n\t请于3月1日前报送材料。\f\n办公室\n"

# ------------------------------------------------------------------------------ file builders


def make_pdf() -> bytes:
    """A one-page-tree PDF with a correct xref table and trailer."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def make_png() -> bytes:
    """A 1×1 red RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    """SOI, a JFIF APP0 segment and EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


GIF_1X1 = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

WEBP_1X1 = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def make_tiff(order: bytes = b"II") -> bytes:
    """A TIFF header pointing at an empty IFD."""
    fmt = "<" if order == b"II" else ">"
    return order + struct.pack(f"{fmt}HI", 42, 8) + struct.pack(f"{fmt}HI", 0, 0)


def make_bmp() -> bytes:
    """A 1×1 24-bit BMP with a BITMAPINFOHEADER."""
    pixels = b"\x00\x00\xff\x00"  # one BGR pixel, padded to 4 bytes
    info = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header = struct.pack("<2sIHHI", b"BM", 14 + len(info) + len(pixels), 0, 0, 14 + len(info))
    return header + info + pixels


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def make_docx(extra: dict[str, bytes] | None = None) -> bytes:
    """The three parts a DOCX needs, plus ``extra`` members."""
    members = {
        "[Content_Types].xml": CONTENT_TYPES_XML,
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document><w:body/></w:document>',
    }
    return make_zip(members | (extra or {}))


def many_members(count: int) -> dict[str, bytes]:
    return {f"word/media/{index}.xml": b"" for index in range(count)}


def make_ofd() -> bytes:
    return make_zip(
        {
            "OFD.xml": b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD Version="1.0"/>',
            "Doc_0/Document.xml": b'<?xml version="1.0"?><ofd:Document/>',
        }
    )


def make_xlsx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>',
            "xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><worksheet/>',
        }
    )


def mark_encrypted(archive: bytes) -> bytes:
    """Set the 'encrypted' bit in every central-directory header (zipfile cannot write one)."""
    data = bytearray(archive)
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        data[position + 8] |= 0x01
        position = data.find(b"PK\x01\x02", position + 4)
    return bytes(data)


# OLE2 compound file: sector 0 is the FAT, sector 1 the directory, sectors 2-9 the first stream.
END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def _cfb_entry(
    name: str,
    kind: int,
    *,
    right: int = NO_STREAM,
    child: int = NO_STREAM,
    start: int = END_OF_CHAIN,
    size: int = 0,
) -> bytes:
    """One 128-byte directory entry (no left sibling, zero CLSID and times)."""
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NO_STREAM, right, child)
        + bytes(16 + 4 + 16)  # CLSID, state bits, times
        + struct.pack("<IQ", start, size)
    )


def make_cfb(first: str = "WordDocument", second: str = "", *, encrypted: bool = False) -> bytes:
    """A version-3 compound file: the root holds stream ``first`` (4096 bytes) and ``second``.

    ``first`` is a Word FIB when it is called WordDocument; ``second`` is an empty storage.
    """
    stream = bytearray(4096)
    if first == "WordDocument":
        struct.pack_into("<HH", stream, 0, 0xA5EC, 0x00C1)
        struct.pack_into("<H", stream, 10, 0x0100 if encrypted else 0)
    header = (
        CFB_MAGIC
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
        + struct.pack("<109I", 0, *([FREE] * 108))
    )
    fat = [FAT_SECTOR, END_OF_CHAIN, 3, 4, 5, 6, 7, 8, 9, END_OF_CHAIN]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + b"\xff" * (512 - 4 * len(fat))
    directory = (
        _cfb_entry("Root Entry", 5, child=1)
        + _cfb_entry(first, 2, right=2 if second else NO_STREAM, start=2, size=4096)
        + (_cfb_entry(second, 1) if second else _cfb_entry("", 0))
        + _cfb_entry("", 0)
    )
    assert len(header) == 512
    assert len(directory) == 512
    return header + fat_sector + directory + bytes(stream)


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 0x3E, 1) + bytes(40)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(44) + b"\x80\x00\x00\x00"
SHELL = b"#!/bin/sh\necho hello\n"
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"


def sniff(name: str, data: bytes, max_bytes: int = LIMIT) -> SniffedType:
    return sniff_upload(name, io.BytesIO(data), len(data), max_bytes)


def rejection(name: str, data: bytes, max_bytes: int = LIMIT) -> RejectedUpload:
    with pytest.raises(RejectedUpload) as caught:
        sniff(name, data, max_bytes)
    return caught.value


# ------------------------------------------------------------------------------ accepted


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("通知.pdf", make_pdf(), SniffedType("pdf", "application/pdf")),
        ("公文.ofd", make_ofd(), SniffedType("ofd", "application/ofd")),
        ("方案.docx", make_docx(), SniffedType("docx", DOCX_TYPE)),
        ("旧文件.doc", make_cfb(), SniffedType("doc", "application/msword")),
        ("scan.png", make_png(), SniffedType("png", "image/png")),
        ("photo.jpg", make_jpeg(), SniffedType("jpg", "image/jpeg")),
        ("icon.gif", GIF_1X1, SniffedType("gif", "image/gif")),
        ("fax.tif", make_tiff(b"II"), SniffedType("tif", "image/tiff")),
        ("fax-mm.tif", make_tiff(b"MM"), SniffedType("tif", "image/tiff")),
        ("seal.bmp", make_bmp(), SniffedType("bmp", "image/bmp")),
        ("seal.webp", WEBP_1X1, SniffedType("webp", "image/webp")),
        ("说明.txt", NOTICE_ZH.encode(), SniffedType("txt", "text/plain; charset=utf-8")),
        (
            "说明.txt",
            NOTICE_ZH.encode("gb18030"),
            SniffedType("txt", "text/plain; charset=gb18030"),
        ),
        (
            "bom.txt",
            b"\xef\xbb\xbf" + NOTICE_ZH.encode(),
            SniffedType("txt", "text/plain; charset=utf-8"),
        ),
        (
            "ascii.txt",
            b"Plain notice, nothing else.\n",
            SniffedType("txt", "text/plain; charset=utf-8"),
        ),
        ("bmw.txt", b"BMW fleet report 2024\n", SniffedType("txt", "text/plain; charset=utf-8")),
        ("a < b.txt", b"a < b and 3 > 2\n", SniffedType("txt", "text/plain; charset=utf-8")),
    ],
)
def test_accepts_known_types(name: str, data: bytes, expected: SniffedType) -> None:
    assert sniff(name, data) == expected


@pytest.mark.parametrize(
    ("name", "data", "extension"),
    [
        ("SCAN.PNG", make_png(), "png"),
        ("photo.jpeg", make_jpeg(), "jpg"),
        ("Photo.JPEG", make_jpeg(), "jpg"),
        ("fax.tiff", make_tiff(), "tif"),
        ("readme.text", b"hello\n", "txt"),
        ("C:\\Users\\clerk\\Desktop\\通知.pdf", make_pdf(), "pdf"),
        ("dir/sub/通知.v2.pdf", make_pdf(), "pdf"),
    ],
)
def test_extension_aliases_case_and_paths(name: str, data: bytes, extension: str) -> None:
    assert sniff(name, data).extension == extension


def test_bare_ole_header_keeps_the_header_rule() -> None:
    """A compound file whose directory cannot be read is still a DOC by its header."""
    assert sniff("old.doc", CFB_MAGIC + bytes(1024)).extension == "doc"


# ------------------------------------------------------------------------------ mismatch


@pytest.mark.parametrize(
    ("name", "data", "named", "content_zh", "content_en"),
    [
        ("通知.pdf", make_png(), ".pdf", "PNG 图片", "a PNG image"),
        ("方案.docx", make_pdf(), ".docx", "PDF 文档", "a PDF document"),
        ("通知.pdf", NOTICE_ZH.encode(), ".pdf", "纯文本", "plain text"),
        ("scan.jpg", make_png(), ".jpg", "PNG 图片", "a PNG image"),
        ("old.docx", make_cfb(), ".docx", "Word 97-2003", "Word 97-2003"),
        ("new.doc", make_docx(), ".doc", "Word 文档（.docx）", "(.docx)"),
        ("公文.pdf", make_ofd(), ".pdf", "OFD", "OFD"),
    ],
)
def test_extension_mismatch_names_both(
    name: str, data: bytes, named: str, content_zh: str, content_en: str
) -> None:
    error = rejection(name, data)
    assert error.code == "extension_mismatch"
    assert f"文件扩展名为 {named}" in error.message
    assert content_zh in error.message
    assert f"The name says {named} " in error.message_en
    assert content_en in error.message_en


@pytest.mark.parametrize("name", ["通知", "通知.", ".pdf", ""])
def test_missing_extension_is_a_mismatch(name: str) -> None:
    error = rejection(name, make_pdf())
    assert error.code == "extension_mismatch"
    assert "没有扩展名" in error.message
    assert ".pdf" in error.message
    assert "no extension" in error.message_en


# ------------------------------------------------------------------------------ not allowed


@pytest.mark.parametrize(
    ("name", "data", "hint_en"),
    [
        ("setup.txt", ELF, "program or script"),
        ("setup.pdf", ELF, "program or script"),
        ("setup.exe", PE, "program or script"),
        ("report.doc", PE, "program or script"),
        ("run.sh", SHELL, "program or script"),
        ("run.txt", SHELL, "program or script"),
        ("page.txt", HTML, "web page"),
        ("page.html", HTML, "web page"),
        ("page.txt", b"  \n<html><p>hi</p></html>", "web page"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "web page"),
        ("data.txt", b'<?xml version="1.0"?><a/>', "web page"),
        ("note.txt", "通知正文\n<script>alert(1)</script>\n".encode(), "web page"),
        ("table.xlsx", make_xlsx(), "ZIP archive or another Office file"),
        ("table.docx", make_xlsx(), "ZIP archive or another Office file"),
        ("bundle.zip", make_zip({"a.txt": b"a"}), "ZIP archive or another Office file"),
        (
            "both.docx",
            make_zip(
                {"OFD.xml": b"<a/>", "word/document.xml": b"<a/>", "[Content_Types].xml": b"<a/>"}
            ),
            "ZIP archive",
        ),
        ("macro.docx", make_docx({"word/vbaProject.bin": bytes(16)}), "macros"),
        ("macro.docm", make_docx({"word/vbaProject.bin": bytes(16)}), "macros"),
        ("secret.docx", mark_encrypted(make_docx()), "encrypted"),
        ("broken.docx", b"PK\x03\x04" + b"\x14\x00" + bytes(100), "damaged"),
        ("truncated.docx", make_docx()[:-30], "damaged"),
        ("table.doc", make_cfb("Workbook"), "not a Word document"),
        ("setup.doc", make_cfb("SummaryInformation"), "not a Word document"),
        ("macro.doc", make_cfb("WordDocument", "Macros"), "macros"),
        ("secret.doc", make_cfb(encrypted=True), "encrypted"),
        ("secret.docx", make_cfb("EncryptedPackage"), "encrypted"),
        ("utf16.txt", "通知".encode("utf-16"), "UTF-16"),
        ("ctrl.txt", b"escape \x1b[31m red\n", "not accepted"),
        ("nul.txt", b"abc\x00def\n", "not accepted"),
        ("vt.txt", b"vertical\x0btab\n", "not accepted"),
        ("bad.txt", b"caf\xe9 \x80\xff\n", "not accepted"),
        ("song.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(64), "(MP3)"),
        ("archive.gz", b"\x1f\x8b\x08\x00" + bytes(16), "(GZ)"),
    ],
)
def test_refuses_other_content(name: str, data: bytes, hint_en: str) -> None:
    error = rejection(name, data)
    assert error.code == "type_not_allowed"
    assert hint_en in error.message_en
    assert "PDF、OFD" in error.message
    assert "Accepted types" in error.message_en


def test_refuses_zip_with_too_many_members() -> None:
    data = make_zip(many_members(MAX_ZIP_MEMBERS + 1))
    error = rejection("many.docx", data)
    assert error.code == "type_not_allowed"
    assert "too many files" in error.message_en


def test_refuses_zip_that_understates_its_member_count() -> None:
    """The declared count is not trusted: the central directory's signatures are counted too."""
    data = bytearray(make_docx(many_members(MAX_ZIP_MEMBERS)))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 3, 3)
    error = rejection("many.docx", bytes(data))
    assert "too many files" in error.message_en


def test_accepts_zip_at_the_member_limit() -> None:
    data = make_docx(many_members(MAX_ZIP_MEMBERS - 3))
    assert sniff("big.docx", data).extension == "docx"


# ------------------------------------------------------------------------------ size


@pytest.mark.parametrize(("data", "size"), [(b"", 0), (make_pdf(), 0), (b"", 1234)])
def test_empty_upload(data: bytes, size: int) -> None:
    with pytest.raises(RejectedUpload) as caught:
        sniff_upload("通知.pdf", io.BytesIO(data), size, LIMIT)
    assert caught.value.code == "empty"
    assert "空" in caught.value.message
    assert "empty" in caught.value.message_en


@pytest.mark.parametrize(
    ("max_bytes", "size", "shown", "got"),
    [
        (20 * MB, 20 * MB + 1, "20 MB", "20.1 MB"),
        (MB + MB // 2, 2 * MB, "1.5 MB", "2 MB"),
        (50 * MB, 51 * MB, "50 MB", "51 MB"),
    ],
)
def test_too_large_states_the_limit(max_bytes: int, size: int, shown: str, got: str) -> None:
    stream = io.BytesIO(make_pdf())
    with pytest.raises(RejectedUpload) as caught:
        sniff_upload("通知.pdf", stream, size, max_bytes)
    assert caught.value.code == "too_large"
    assert f"约 {got}" in caught.value.message
    assert f"不能超过 {shown}" in caught.value.message
    assert f"at most {shown}" in caught.value.message_en


def test_too_large_when_the_stream_is_longer_than_declared() -> None:
    data = make_pdf()
    with pytest.raises(RejectedUpload) as caught:
        sniff_upload("通知.pdf", io.BytesIO(data), 10, len(data) - 1)
    assert caught.value.code == "too_large"


def test_exactly_at_the_limit_is_accepted() -> None:
    data = make_pdf()
    assert sniff("通知.pdf", data, max_bytes=len(data)).extension == "pdf"


def test_size_checks_come_before_content() -> None:
    assert rejection("setup.exe", PE, max_bytes=10).code == "too_large"


def test_content_check_comes_before_extension() -> None:
    assert rejection("setup.pdf", PE).code == "type_not_allowed"


# ------------------------------------------------------------------------------ stream position


@pytest.mark.parametrize(
    ("name", "data", "max_bytes"),
    [
        ("通知.pdf", make_pdf(), LIMIT),
        ("方案.docx", make_docx(), LIMIT),
        ("旧文件.doc", make_cfb(), LIMIT),
        ("说明.txt", NOTICE_ZH.encode("gb18030"), LIMIT),
        ("通知.pdf", make_png(), LIMIT),
        ("setup.exe", PE, LIMIT),
        ("table.xlsx", make_xlsx(), LIMIT),
        ("broken.docx", b"PK\x03\x04junk", LIMIT),
        ("通知.pdf", make_pdf(), 10),
    ],
)
def test_stream_is_left_at_start(name: str, data: bytes, max_bytes: int) -> None:
    stream = io.BytesIO(data)
    stream.seek(7)
    with contextlib.suppress(RejectedUpload):
        sniff_upload(name, stream, len(data), max_bytes)
    assert stream.tell() == 0
    assert stream.read() == data


# ------------------------------------------------------------------------------ the exception


def test_rejected_upload_carries_code_and_messages() -> None:
    error = RejectedUpload("empty", "文件是空的", "The file is empty")
    assert isinstance(error, ValueError)
    assert (error.code, error.message, error.message_en) == (
        "empty",
        "文件是空的",
        "The file is empty",
    )
    assert str(error) == "文件是空的"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.code, copy.message, copy.message_en) == (
        error.code,
        error.message,
        error.message_en,
    )


def test_long_extension_is_shortened_in_the_message() -> None:
    error = rejection("通知." + "x" * 200, make_pdf())
    assert error.code == "extension_mismatch"
    assert "." + "x" * 16 + "…" in error.message
    assert "x" * 17 not in error.message_en
