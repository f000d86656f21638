"""Content sniffing for uploaded attachments (附件类型检查).

The type of an upload is decided from its bytes alone; the client's file name and content type are
never trusted. Only a short list of document and image formats, plus plain text, is accepted, and
the name's extension must agree with what the content turned out to be.

Checks, in order:

1. ``empty`` — zero bytes;
2. ``too_large`` — more than the configured limit;
3. ``type_not_allowed`` — the content is not one of the accepted types (executables, scripts,
   HTML/SVG/XML, other archives and Office files, macro-enabled or encrypted documents, damaged
   files, ...);
4. ``extension_mismatch`` — the name's extension is missing or names a different type.

ZIP containers (DOCX, OFD) are inspected through the central directory only: nothing is
decompressed, and archives with more than :data:`MAX_ZIP_MEMBERS` members are refused before the
directory is parsed. OLE2 compound files (DOC) have their root directory read when it can be, so
that Excel/PowerPoint files, installers, encrypted files and documents carrying macros are refused.
The stream is always left at position 0.
"""

from __future__ import annotations

import codecs
import io
import math
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import filetype

__all__ = [
    "EMPTY",
    "EXTENSION_MISMATCH",
    "MAX_ZIP_MEMBERS",
    "TOO_LARGE",
    "TYPE_NOT_ALLOWED",
    "RejectedUpload",
    "SniffedType",
    "sniff_upload",
]

EMPTY = "empty"
TOO_LARGE = "too_large"
TYPE_NOT_ALLOWED = "type_not_allowed"
EXTENSION_MISMATCH = "extension_mismatch"

MAX_ZIP_MEMBERS = 10_000
"""ZIP files with more members than this are refused without parsing their directory."""

_HEAD_BYTES = 8192
_CHUNK_BYTES = 1 << 16
_MEBIBYTE = 1024 * 1024
_MAX_SHOWN_EXTENSION = 16


@dataclass(frozen=True)
class SniffedType:
    """What an accepted upload is: its canonical extension and the content type to serve it as."""

    extension: str
    content_type: str


class RejectedUpload(ValueError):
    """The upload is refused; ``code`` says why, the messages say it to a clerk (zh-hans, en)."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_en = message_en

    def __reduce__(self) -> tuple[type[RejectedUpload], tuple[str, str, str]]:
        """Pickle with all three arguments (e.g. when passed through a task queue)."""
        return (type(self), (self.code, self.message, self.message_en))


# --------------------------------------------------------------------------- the accepted types

_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "tif": "image/tiff",
    "bmp": "image/bmp",
    "webp": "image/webp",
}

_LABELS = {
    "pdf": ("PDF 文档", "a PDF document"),
    "ofd": ("OFD 版式文档", "an OFD document"),
    "docx": ("Word 文档（.docx）", "a Word document (.docx)"),
    "doc": ("Word 97-2003 文档（.doc）", "a Word 97-2003 document (.doc)"),
    "png": ("PNG 图片", "a PNG image"),
    "jpg": ("JPEG 图片", "a JPEG image"),
    "gif": ("GIF 图片", "a GIF image"),
    "tif": ("TIFF 图片", "a TIFF image"),
    "bmp": ("BMP 图片", "a BMP image"),
    "webp": ("WebP 图片", "a WebP image"),
    "txt": ("纯文本", "plain text"),
}

_EXTENSION_ALIASES = {"jpeg": "jpg", "tiff": "tif", "text": "txt"}

_ALLOWED_ZH = (
    "可上传的类型：PDF、OFD、Word（.docx、.doc）、图片（PNG、JPG、GIF、TIF、BMP、WEBP）"
    "和纯文本（.txt）。"
)
_ALLOWED_EN = (
    "Accepted types: PDF, OFD, Word (.docx, .doc), images (PNG, JPG, GIF, TIF, BMP, WEBP) "
    "and plain text (.txt)."
)


def _sniffed(extension: str) -> SniffedType:
    """The :class:`SniffedType` for a canonical binary extension."""
    return SniffedType(extension, _CONTENT_TYPES[extension])


def _text(charset: str) -> SniffedType:
    """The :class:`SniffedType` for plain text in ``charset``."""
    return SniffedType("txt", f"text/plain; charset={charset}")


# --------------------------------------------------------------------------- rejections


def _not_allowed(reason_zh: str, reason_en: str) -> RejectedUpload:
    """A ``type_not_allowed`` rejection: the reason, then the list of accepted types."""
    return RejectedUpload(
        TYPE_NOT_ALLOWED, f"{reason_zh}{_ALLOWED_ZH}", f"{reason_en} {_ALLOWED_EN}"
    )


def _executable() -> RejectedUpload:
    return _not_allowed(
        "该文件是可执行程序或脚本，出于安全原因不能上传。",
        "This file is a program or script and cannot be uploaded for security reasons.",
    )


def _markup() -> RejectedUpload:
    return _not_allowed(
        "该文件是网页或标记文件（HTML、SVG、XML），不能作为附件上传，请另存为 PDF 后再上传。",
        "This file is a web page or markup (HTML, SVG, XML) and cannot be attached; "
        "save it as PDF and upload that instead.",
    )


def _macros() -> RejectedUpload:
    return _not_allowed(
        "该 Word 文档包含宏，出于安全原因不能上传，请另存为不含宏的 .docx 或 PDF 后再上传。",
        "This Word document contains macros and cannot be uploaded for security reasons; "
        "save it as a macro-free .docx or as PDF and upload that instead.",
    )


def _encrypted() -> RejectedUpload:
    return _not_allowed(
        "该文件已加密（设有打开密码），系统无法检查其内容，请取消密码后再上传。",
        "This file is encrypted (password-protected), so its content cannot be checked; "
        "remove the password and upload it again.",
    )


def _damaged() -> RejectedUpload:
    return _not_allowed(
        "该文件已损坏或格式不完整，无法识别。",
        "This file is damaged or incomplete and cannot be recognised.",
    )


def _unsupported(head: bytes) -> RejectedUpload:
    """The generic refusal, naming what the content looks like when ``filetype`` can tell."""
    kind = filetype.guess(head)
    if kind is not None and kind.extension not in _LABELS:
        detected = str(kind.extension).upper()
        return _not_allowed(
            f"不支持此文件类型（检测到：{detected}）。",
            f"This file type ({detected}) is not accepted.",
        )
    return _not_allowed("不支持此文件类型。", "This file type is not accepted.")


def _format_megabytes(size: int, *, round_up: bool = False) -> str:
    """``size`` in MB (MiB) for a message: ``20``, ``1.5``, never scientific notation.

    ``round_up`` rounds up to the next tenth, so a file just over the limit never reads as equal.
    """
    value = math.ceil(size * 10 / _MEBIBYTE) / 10 if round_up else size / _MEBIBYTE
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text == "0":
        text = f"{value:.6f}".rstrip("0").rstrip(".") or "0"
    return text


# --------------------------------------------------------------------------- entry point


def sniff_upload(name: str, stream: BinaryIO, size: int, max_bytes: int) -> SniffedType:
    """Identify an upload from its content and check it against its name.

    ``size`` is the upload's size as reported by the framework; the stream's own length is
    checked too. Raises :class:`RejectedUpload` (codes ``empty``, ``too_large``,
    ``type_not_allowed``, ``extension_mismatch``). The stream is left at position 0 either way.
    """
    try:
        stream.seek(0, io.SEEK_END)
        length = stream.tell()
        _check_size(size, length, max_bytes)
        sniffed = _identify(stream, length)
        _check_extension(name, sniffed)
        return sniffed
    finally:
        stream.seek(0)


def _check_size(size: int, length: int, max_bytes: int) -> None:
    """Refuse empty uploads and uploads over ``max_bytes``."""
    if size <= 0 or length <= 0:
        raise RejectedUpload(
            EMPTY,
            "文件是空的（0 字节），请检查后重新选择文件。",
            "The file is empty (0 bytes); check it and choose the file again.",
        )
    actual = max(size, length)
    if actual > max_bytes:
        limit, got = _format_megabytes(max_bytes), _format_megabytes(actual, round_up=True)
        raise RejectedUpload(
            TOO_LARGE,
            f"文件过大（约 {got} MB），附件不能超过 {limit} MB。",
            f"The file is too large (about {got} MB); attachments may be at most {limit} MB.",
        )


def _check_extension(name: str, sniffed: SniffedType) -> None:
    """Refuse a name whose extension is missing or names another type than the content."""
    extension = _extension_of(name)
    if extension == sniffed.extension:
        return
    if len(extension) > _MAX_SHOWN_EXTENSION:
        extension = extension[:_MAX_SHOWN_EXTENSION] + "…"
    label_zh, label_en = _LABELS[sniffed.extension]
    wanted = f".{sniffed.extension}"
    if not extension:
        message = f"文件名没有扩展名，但内容是{label_zh}。请将文件名改为以 {wanted} 结尾后再上传。"
        message_en = (
            f"The name has no extension but the content is {label_en}; "
            f"rename the file to end in {wanted} and upload it again."
        )
    else:
        message = (
            f"文件扩展名为 .{extension}，但内容是{label_zh}。"
            f"请确认选择了正确的文件，或将扩展名改为 {wanted} 后再上传。"
        )
        message_en = (
            f"The name says .{extension} but the content is {label_en}; "
            f"check that this is the right file, or rename it to end in {wanted}."
        )
    raise RejectedUpload(EXTENSION_MISMATCH, message, message_en)


def _extension_of(name: str) -> str:
    """The canonical, lower-cased extension of ``name`` (any client path dropped), or ``""``."""
    base = re.split(r"[\\/]", name.strip())[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem.strip("."):
        return ""
    extension = extension.lower()
    return _EXTENSION_ALIASES.get(extension, extension)


def _identify(stream: BinaryIO, length: int) -> SniffedType:
    """Decide what the content is, or raise ``type_not_allowed``."""
    head = _read_at(stream, 0, _HEAD_BYTES)
    extension = _match_signature(head)
    if extension is not None:
        return _sniffed(extension)
    if head.startswith(_ZIP_LOCAL_HEADER):
        return _identify_zip(stream, length)
    if head.startswith(_CFB_MAGIC):
        return _identify_compound_file(stream, length)
    if head.startswith(_EXECUTABLE_MAGICS):
        raise _executable()
    return _identify_text(stream, head)


def _read_at(stream: BinaryIO, offset: int, count: int) -> bytes:
    """Up to ``count`` bytes from ``offset`` (fewer at the end of the stream)."""
    stream.seek(offset)
    return stream.read(count)


# --------------------------------------------------------------------------- magic numbers

_EXECUTABLE_MAGICS = (
    b"\x7fELF",  # Linux/Unix ELF
    b"MZ",  # Windows PE / DOS
    b"#!",  # script with an interpreter line
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary / Java class
    b"\x00asm",  # WebAssembly
)

_BMP_INFO_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def _is_bmp(head: bytes) -> bool:
    """``BM``, zero reserved words and a known DIB header size (``BM`` alone is too common)."""
    if len(head) < 18 or not head.startswith(b"BM"):
        return False
    reserved = head[6:10]
    (info_size,) = struct.unpack_from("<I", head, 14)
    return reserved == b"\0\0\0\0" and info_size in _BMP_INFO_HEADER_SIZES


def _is_webp(head: bytes) -> bool:
    """A RIFF container of form ``WEBP`` whose first chunk is VP8, VP8L or VP8X."""
    return (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in (b"VP8 ", b"VP8L", b"VP8X")
    )


def _match_signature(head: bytes) -> str | None:
    """The extension of a PDF or image by its leading bytes, else ``None``."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tif"
    if _is_bmp(head):
        return "bmp"
    if _is_webp(head):
        return "webp"
    return None


# --------------------------------------------------------------------------- ZIP: DOCX and OFD

_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_ZIP_CENTRAL_HEADER = b"PK\x01\x02"
_ZIP_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP_MAX_COMMENT = (1 << 16) - 1
_ZIP_ENCRYPTED_FLAGS = 0x0001 | 0x0040  # traditional / strong encryption


@dataclass(frozen=True)
class _CentralDirectory:
    """Where the central directory is, located exactly as :mod:`zipfile` locates it."""

    declared_members: int
    start: int
    size: int


def _identify_zip(stream: BinaryIO, length: int) -> SniffedType:
    """DOCX or OFD by member names; any other ZIP (or a dangerous DOCX) is refused."""
    _check_member_count(stream, length)
    names = _zip_member_names(stream)
    is_ofd = "ofd.xml" in names
    is_docx = {"word/document.xml", "[content_types].xml"} <= names
    if is_docx and any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in names):
        raise _macros()
    if is_ofd and not is_docx:
        return _sniffed("ofd")
    if is_docx and not is_ofd:
        return _sniffed("docx")
    raise _not_allowed(
        "该文件是压缩包或其他 Office 文件（如 Excel、PowerPoint），不支持上传。",
        "This file is a ZIP archive or another Office file (such as Excel or PowerPoint).",
    )


def _check_member_count(stream: BinaryIO, length: int) -> None:
    """Refuse archives with too many members, before :mod:`zipfile` builds its member list.

    Both the count the archive declares and the number of central-directory signatures in the
    bytes ``zipfile`` will parse are checked; the latter cannot be lower than the real count.
    """
    directory = _locate_central_directory(stream, length)
    if directory is None or directory.start < 0 or directory.start + directory.size > length:
        raise _damaged()
    members = directory.declared_members
    if members <= MAX_ZIP_MEMBERS:
        data = _read_at(stream, directory.start, directory.size)
        members = data.count(_ZIP_CENTRAL_HEADER)
    if members > MAX_ZIP_MEMBERS:
        raise _not_allowed(
            f"压缩包内文件数量过多（超过 {MAX_ZIP_MEMBERS:,} 个），不能上传。",
            f"The archive holds too many files (more than {MAX_ZIP_MEMBERS:,}).",
        )


def _locate_central_directory(stream: BinaryIO, length: int) -> _CentralDirectory | None:
    """Find the end-of-central-directory record (and ZIP64 record) like ``zipfile`` does."""
    tail_start = max(length - _ZIP_MAX_COMMENT - _ZIP_EOCD.size, 0)
    tail = _read_at(stream, tail_start, length - tail_start)
    last = len(tail) - _ZIP_EOCD.size
    if last >= 0 and tail[last : last + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        position = last
    else:
        position = tail.rfind(b"PK\x05\x06")
        if position < 0 or position > last:
            return None
    fields = _ZIP_EOCD.unpack_from(tail, position)
    record_at = tail_start + position
    zip64 = _read_zip64_record(stream, record_at)
    if zip64 is not None:
        return zip64
    return _CentralDirectory(fields[4], record_at - fields[5], fields[5])


def _read_zip64_record(stream: BinaryIO, record_at: int) -> _CentralDirectory | None:
    """The ZIP64 end-of-central-directory record just before ``record_at``, if there is one."""
    locator_at = record_at - _ZIP64_LOCATOR.size
    eocd64_at = locator_at - _ZIP64_EOCD.size
    if eocd64_at < 0:
        return None
    locator = _read_at(stream, locator_at, _ZIP64_LOCATOR.size)
    if locator[:4] != b"PK\x06\x07":
        return None
    data = _read_at(stream, eocd64_at, _ZIP64_EOCD.size)
    if len(data) != _ZIP64_EOCD.size or data[:4] != b"PK\x06\x06":
        return None
    fields = _ZIP64_EOCD.unpack(data)
    return _CentralDirectory(fields[7], eocd64_at - fields[8], fields[8])


def _zip_member_names(stream: BinaryIO) -> set[str]:
    """Lower-cased member names from the central directory; refuse encrypted or broken archives."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        struct.error,
    ) as exc:
        raise _damaged() from exc
    if any(member.flag_bits & _ZIP_ENCRYPTED_FLAGS for member in members):
        raise _encrypted()
    return {member.filename.lower() for member in members}


# --------------------------------------------------------------------------- OLE2: DOC

_CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_CFB_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_CFB_NO_STREAM = 0xFFFFFFFF
_CFB_HEADER_SIZE = 512
_CFB_ENTRY_SIZE = 128
_CFB_STORAGE, _CFB_STREAM, _CFB_ROOT = 1, 2, 5
_WORD_FIB_MAGICS = frozenset({0xA5EC, 0xA5DC})
_WORD_FIB_ENCRYPTED = 0x0100


class _UnreadableCompoundFile(Exception):
    """The compound file's structures could not be followed."""


@dataclass(frozen=True)
class _CfbEntry:
    """One directory entry of a compound file."""

    name: str
    kind: int
    left: int
    right: int
    child: int
    start: int
    size: int


_NO_ENTRY = _CfbEntry("", 0, _CFB_NO_STREAM, _CFB_NO_STREAM, _CFB_NO_STREAM, 0, 0)


class _CompoundFile:
    """Just enough of [MS-CFB] to list the root storage and peek at a stream's first sector."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._length = length
        header = _read_at(stream, 0, _CFB_HEADER_SIZE)
        if len(header) < _CFB_HEADER_SIZE:
            raise _UnreadableCompoundFile
        (shift,) = struct.unpack_from("<H", header, 30)
        if shift not in (9, 12):
            raise _UnreadableCompoundFile
        self.sector_size = 1 << shift
        self._max_sectors = length // self.sector_size + 1
        (self._first_directory,) = struct.unpack_from("<I", header, 48)
        (self.mini_stream_cutoff,) = struct.unpack_from("<I", header, 56)
        self._fat_sectors = self._load_fat_sector_list(header)

    def sector(self, number: int) -> bytes:
        """The bytes of regular sector ``number``."""
        offset = (number + 1) * self.sector_size
        if number > _CFB_MAX_REGULAR_SECTOR or offset + self.sector_size > self._length:
            raise _UnreadableCompoundFile
        return _read_at(self._stream, offset, self.sector_size)

    def _load_fat_sector_list(self, header: bytes) -> list[int]:
        """The FAT's sector numbers: 109 in the header, the rest in the DIFAT chain."""
        listed = list(struct.unpack_from("<109I", header, 76))
        next_sector, count = struct.unpack_from("<2I", header, 68)
        per_sector = self.sector_size // 4 - 1
        for _ in range(min(count, self._max_sectors)):
            if next_sector > _CFB_MAX_REGULAR_SECTOR:
                break
            values = struct.unpack(f"<{per_sector + 1}I", self.sector(next_sector))
            listed.extend(values[:per_sector])
            next_sector = values[per_sector]
        return [number for number in listed if number <= _CFB_MAX_REGULAR_SECTOR]

    def _next_sector(self, number: int) -> int:
        """The FAT entry for sector ``number``: the next sector of its chain."""
        per_sector = self.sector_size // 4
        index, slot = divmod(number, per_sector)
        if index >= len(self._fat_sectors):
            raise _UnreadableCompoundFile
        (value,) = struct.unpack_from("<I", self.sector(self._fat_sectors[index]), slot * 4)
        return int(value)

    def _chain(self, start: int) -> Iterator[int]:
        """The sector numbers of the chain beginning at ``start``, guarding against loops."""
        seen: set[int] = set()
        number = start
        while number <= _CFB_MAX_REGULAR_SECTOR:
            if number in seen or len(seen) >= self._max_sectors:
                raise _UnreadableCompoundFile
            seen.add(number)
            yield number
            number = self._next_sector(number)

    def entries(self) -> list[_CfbEntry]:
        """Every directory entry, in directory order (entry 0 is the root)."""
        found: list[_CfbEntry] = []
        for number in self._chain(self._first_directory):
            data = self.sector(number)
            for offset in range(0, len(data), _CFB_ENTRY_SIZE):
                found.append(_parse_cfb_entry(data[offset : offset + _CFB_ENTRY_SIZE]))
        if not found or found[0].kind != _CFB_ROOT:
            raise _UnreadableCompoundFile
        return found

    def root_members(self) -> dict[str, _CfbEntry]:
        """The streams and storages directly in the root storage, by name."""
        entries = self.entries()
        members: dict[str, _CfbEntry] = {}
        pending, seen = [entries[0].child], set()
        while pending:
            index = pending.pop()
            if index == _CFB_NO_STREAM or index in seen or index >= len(entries):
                continue
            seen.add(index)
            entry = entries[index]
            members[entry.name] = entry
            pending += [entry.left, entry.right]
        return members


def _parse_cfb_entry(data: bytes) -> _CfbEntry:
    """Decode one 128-byte directory entry."""
    (name_size,) = struct.unpack_from("<H", data, 64)
    name = data[: max(0, min(name_size, 64) - 2)].decode("utf-16-le", errors="replace")
    left, right, child = struct.unpack_from("<3I", data, 68)
    start, size = struct.unpack_from("<2I", data, 116)
    return _CfbEntry(name, data[66], left, right, child, start, size)


def _identify_compound_file(stream: BinaryIO, length: int) -> SniffedType:
    """A Word 97-2003 document; refuse other OLE2 files, encrypted files and macros.

    A compound file whose structures cannot be followed keeps the plain header rule (it is a
    ``doc``): Word cannot open it either, so it carries no active content.
    """
    try:
        compound = _CompoundFile(stream, length)
        members = compound.root_members()
        encrypted = _word_document_encrypted(compound, members.get("WordDocument"))
    except (_UnreadableCompoundFile, struct.error):
        return _sniffed("doc")
    if "EncryptedPackage" in members or encrypted:
        raise _encrypted()
    if members.get("WordDocument", _NO_ENTRY).kind != _CFB_STREAM:
        raise _not_allowed(
            "该文件不是 Word 文档（可能是 Excel、PowerPoint、安装程序或其他 Office 文件）。",
            "This file is not a Word document (it may be Excel, PowerPoint, an installer "
            "or another Office file).",
        )
    if "Macros" in members or "_VBA_PROJECT_CUR" in members:
        raise _macros()
    return _sniffed("doc")


def _word_document_encrypted(compound: _CompoundFile, word: _CfbEntry | None) -> bool:
    """Whether the Word FIB says the document is encrypted (only for regular-sector streams)."""
    if word is None or word.kind != _CFB_STREAM or word.size < compound.mini_stream_cutoff:
        return False
    fib = compound.sector(word.start)
    magic, flags = struct.unpack_from("<H8xH", fib, 0)
    return magic in _WORD_FIB_MAGICS and bool(flags & _WORD_FIB_ENCRYPTED)


# --------------------------------------------------------------------------- plain text

_FORBIDDEN_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")
_TEXT_CHARSETS = ("utf-8", "gb18030")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_MARKUP_START = re.compile(r"<[!?/a-zA-Z]")
_MARKUP_ANYWHERE = re.compile(
    r"<(?:!doctype|\?xml|html|head|body|script|svg|iframe|object|embed|meta|link|style)\b",
    re.IGNORECASE,
)


def _identify_text(stream: BinaryIO, head: bytes) -> SniffedType:
    """Plain UTF-8 or GB18030 text without control characters; markup is refused."""
    if head.startswith(_UTF16_BOMS):
        raise _not_allowed(
            "该文本文件采用 UTF-16 编码，请用记事本另存为 UTF-8 编码后再上传。",
            "This text file is UTF-16 encoded; save it as UTF-8 (e.g. in Notepad) "
            "and upload it again.",
        )
    charset = _text_charset(stream)
    if charset is None:
        raise _unsupported(head)
    if _looks_like_markup(head.decode(charset, errors="ignore")):
        raise _markup()
    return _text(charset)


def _text_charset(stream: BinaryIO) -> str | None:
    """The first charset the whole stream decodes in, or ``None`` (also for control bytes).

    Reads in chunks and stops as soon as every charset has failed. In both charsets the
    C0 control bytes only ever stand for themselves, so they are looked for in the raw bytes.
    """
    decoders = {charset: codecs.getincrementaldecoder(charset)() for charset in _TEXT_CHARSETS}
    stream.seek(0)
    for chunk in iter(lambda: stream.read(_CHUNK_BYTES), b""):
        if _FORBIDDEN_CONTROLS.search(chunk):
            return None
        _feed(decoders, chunk, final=False)
        if not decoders:
            return None
    _feed(decoders, b"", final=True)
    return next((charset for charset in _TEXT_CHARSETS if charset in decoders), None)


def _feed(decoders: dict[str, codecs.IncrementalDecoder], chunk: bytes, *, final: bool) -> None:
    """Feed ``chunk`` to each decoder, dropping those that fail."""
    for charset, decoder in list(decoders.items()):
        try:
            decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            del decoders[charset]


def _looks_like_markup(text: str) -> bool:
    """HTML, SVG or XML: starts with a tag, or has a document-level tag near the start."""
    stripped = text.lstrip("\ufeff \t\r\n\f")
    return bool(_MARKUP_START.match(stripped) or _MARKUP_ANYWHERE.search(text))
