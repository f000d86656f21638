"""From a file's bytes to its lines of text: TXT, DOCX, PDF and OFD.

The format is decided by content (:func:`circulation.records.sniffing.sniff_upload`, the same
check as for attachments, so the name's extension must agree). ZIP containers (DOCX, OFD) are
checked before any member is inflated: member count, names (absolute paths, ``..``, drive
letters, NUL refused), encryption, the total declared uncompressed size and the compression
ratio; :mod:`zipfile` never yields more than a member's declared size, so the declared sizes
bound what is read. PDFs are read with pypdf: an encrypted PDF that needs a password and a PDF
without a text layer (a scan: OCR is out of scope) are refused with their reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from circulation.intake.errors import IntakeError
from circulation.intake.text import decode_text
from circulation.records.sniffing import RejectedUpload, sniff_upload

MAX_ZIP_MEMBERS = 2_000
"""A DOCX or OFD of a notice has tens of members; more is refused."""
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
"""All members of a DOCX/OFD together, uncompressed."""
MAX_RATIO = 100
"""Largest compression ratio of a member bigger than :data:`RATIO_FROM_BYTES` (zip bombs)."""
RATIO_FROM_BYTES = 1024 * 1024
MAX_PDF_PAGES = 500
MIN_TEXT_CHARS = 10
"""Fewer non-blank characters than this in the whole document: no text layer."""

FORMATS = ("txt", "docx", "pdf", "ofd")


@dataclass(frozen=True)
class ReadDocument:
    """The lines of a document and how they were read."""

    format: str  # txt, docx, pdf, ofd or text (pasted)
    lines: list[str]
    encoding: str = ""
    pages: int | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)


def read_document(name: str, data: bytes, max_bytes: int) -> ReadDocument:
    """Decide the format by content and read the lines; :class:`IntakeError` if it cannot."""
    try:
        sniffed = sniff_upload(name, io.BytesIO(data), len(data), max_bytes)
    except RejectedUpload as exc:
        if exc.code == "type_not_allowed" and name.lower().endswith(".txt"):
            decode_text(data)  # a text file's own reason: mixed encodings, binary, unknown …
        raise IntakeError(exc.code, exc.message, exc.message_en) from exc
    if sniffed.extension not in FORMATS:
        raise IntakeError(
            "unsupported_format",
            f"只能从 TXT、DOCX、PDF、OFD 文件导入（此文件是 .{sniffed.extension}）。",
            f"Only TXT, DOCX, PDF and OFD files can be imported (this is .{sniffed.extension}).",
        )
    if sniffed.extension == "txt":
        decoded = decode_text(data)
        return ReadDocument("txt", split_lines(decoded.text), encoding=decoded.encoding)
    if sniffed.extension == "pdf":
        return _read_pdf(data)
    _check_zip(data)
    if sniffed.extension == "docx":
        return _read_docx(data)
    return _read_ofd(data)


def read_pasted(text: str) -> ReadDocument:
    return ReadDocument("text", split_lines(text))


_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """Lines, with every line or page break (CR LF, CR, VT, FF, U+2028 …) as one."""
    return _LINE_BREAKS.sub("\n", text).split("\n")


# --------------------------------------------------------------------------- ZIP safety

_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name)) or "\0" in name or ".." in parts


def _zip_error(code: str, zh: str, en: str) -> IntakeError:
    return IntakeError(code, zh, en)


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise _damaged() from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _zip_error(
                "zip_too_many_members",
                f"文件内部的部件过多（{len(members)} 个，最多 {MAX_ZIP_MEMBERS} 个），不能导入。",
                f"The file holds too many parts ({len(members)}; at most {MAX_ZIP_MEMBERS}).",
            )
        total = 0
        for member in members:
            if _unsafe_name(member.filename):
                raise _zip_error(
                    "zip_unsafe_name",
                    f"文件内部含有不安全的路径“{member.filename[:80]}”（绝对路径或“..”），"
                    "已拒绝导入。",
                    f'The file holds an unsafe path "{member.filename[:80]}" (absolute or with '
                    '".."); import refused.',
                )
            if member.flag_bits & 0x1:
                raise _zip_error(
                    "encrypted",
                    "文件已加密（设有密码），无法读取内容，请取消密码后再导入。",
                    "The file is encrypted (password-protected); remove the password and "
                    "import it again.",
                )
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if total > MAX_UNCOMPRESSED_BYTES or (
                member.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO
            ):
                raise _zip_error(
                    "zip_bomb",
                    "文件解压后过大或压缩比异常（疑似“压缩炸弹”），已拒绝导入。",
                    "The file would inflate to too much data or is compressed suspiciously "
                    "well (a possible zip bomb); import refused.",
                )


def _damaged() -> IntakeError:
    return IntakeError(
        "damaged",
        "文件已损坏或格式不完整，无法读取。",
        "The file is damaged or incomplete and cannot be read.",
    )


# --------------------------------------------------------------------------- DOCX


def _read_docx(data: bytes) -> ReadDocument:
    """The main document part only, through python-docx's element classes (its parser does not
    resolve entities): ``docx.Document`` would parse every part — styles, numbering, theme,
    fonts — to read the text of one (benchmark: ~50 → ~5 ms a notice)."""
    from docx.oxml import parse_xml
    from docx.oxml.table import CT_Tbl
    from docx.oxml.text.paragraph import CT_P

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(_docx_main_part(archive))
        root = parse_xml(xml)
        body = root.body
        blocks = body.inner_content_elements
    except (KeyError, ValueError, AttributeError, zipfile.BadZipFile, EOFError) as exc:
        raise _damaged() from exc
    except Exception as exc:  # lxml.etree.XMLSyntaxError and other malformed-part errors
        raise _damaged() from exc
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, CT_P):
            lines.extend(split_lines(_paragraph_text(block)))
        elif isinstance(block, CT_Tbl):
            for row in block.tr_lst:
                cells = [
                    "".join(_paragraph_text(p) for p in cell.p_lst).strip() for cell in row.tc_lst
                ]
                lines.append("  ".join(dict.fromkeys(cell for cell in cells if cell)))
    _require_text(lines, scanned=False)
    return ReadDocument("docx", lines)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_TEXT = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n"}


def _paragraph_text(paragraph: Any) -> str:
    """A paragraph's text: its w:t, tabs and breaks in order (lxml, no XPath per run)."""
    parts = []
    for element in paragraph.iter(*_RUN_TEXT):
        fixed = _RUN_TEXT[element.tag]
        parts.append(element.text or "" if fixed is None else fixed)
    return "".join(parts)


_OFFICE_DOCUMENT = re.compile(
    rb"<Relationship\b[^>]*Type=\"[^\"]*/officeDocument\"[^>]*>", re.IGNORECASE
)
_TARGET = re.compile(rb'Target="([^"]+)"')


def _docx_main_part(archive: zipfile.ZipFile) -> str:
    """The main document's name from the package relationships (usually word/document.xml)."""
    try:
        rels = archive.read("_rels/.rels")[:65536]
    except KeyError:
        return "word/document.xml"
    relationship = _OFFICE_DOCUMENT.search(rels)
    target = _TARGET.search(relationship.group(0)) if relationship else None
    if target is None:
        return "word/document.xml"
    name = target.group(1).decode("utf-8", "replace").lstrip("/")
    if _unsafe_name(name):
        raise _damaged()
    return name


# --------------------------------------------------------------------------- PDF


def _read_pdf(data: bytes) -> ReadDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IntakeError(
                "encrypted",
                "PDF 已加密（需要打开密码），无法读取内容，请取消密码后再导入。",
                "The PDF is encrypted (it needs a password to open); remove the password "
                "and import it again.",
            )
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise IntakeError(
                "too_many_pages",
                f"PDF 页数过多（{count} 页，最多 {MAX_PDF_PAGES} 页）。",
                f"The PDF has too many pages ({count}; at most {MAX_PDF_PAGES}).",
            )
        lines: list[str] = []
        for page in reader.pages:
            lines.extend(split_lines(page.extract_text() or ""))
            lines.append("")
    except IntakeError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise _damaged() from exc
    except NotImplementedError as exc:  # an encryption or filter pypdf cannot handle
        raise _damaged() from exc
    _require_text(lines, scanned=True)
    return ReadDocument("pdf", lines, pages=count)


def _require_text(lines: list[str], *, scanned: bool) -> None:
    chars = sum(len("".join(line.split())) for line in lines)
    if chars >= MIN_TEXT_CHARS:
        return
    if scanned:
        raise IntakeError(
            "no_text",
            "PDF 中没有可提取的文字（可能是扫描件）。本系统不做文字识别（OCR），"
            "请索取文字版 PDF、DOCX 或 OFD，或手工登记。",
            "The PDF has no extractable text (it is probably a scan). Text recognition "
            "(OCR) is not supported: ask for a text PDF, DOCX or OFD, or register it by hand.",
        )
    raise IntakeError(
        "no_text",
        "文件中没有文字内容。",
        "The file holds no text.",
    )


# --------------------------------------------------------------------------- OFD


def _read_ofd(data: bytes) -> ReadDocument:
    import ofdkit

    try:
        with ofdkit.open(data) as document:
            pages = len(document.pages)
            text = document.text("\n\n")
    except ofdkit.OFDError as exc:
        raise IntakeError(
            "damaged",
            "OFD 文件格式不正确，无法读取其中的文字。",
            "The OFD file is malformed; its text cannot be read.",
        ) from exc
    lines = split_lines(text)
    _require_text(lines, scanned=False)
    return ReadDocument("ofd", lines, pages=pages)
