"""Active content in a PDF (活动内容检查): what a reader may run or open by itself.

:func:`find_active_content` lists, with pikepdf, JavaScript (document-level ``/Names
/JavaScript``, ``/JS``, JavaScript actions, an ``/OpenAction`` that runs it), ``/Launch`` and
``/ImportData`` actions, additional actions (``/AA``, run on opening a page, a field, …), rich
media (Flash/3D ``/RichMedia``), XFA forms (``/AcroForm /XFA``, scriptable) and embedded files that
are executables (by their magic bytes or their name). An upload with any of these is kept, with a
warning (``Attachment.warnings``); the 四性 安全性 check at archiving flags it for review.

Embedded files are never decompressed whole: only the first bytes of a Flate stream are inflated
to read its magic number (a decompression bomb costs nothing).
"""

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pikepdf

EXECUTABLE_EXTENSIONS = frozenset(
    {
        *("exe", "dll", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "ps1", "psm1"),
        *("vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "jar", "sh", "app", "elf", "bin"),
        *("run", "apk", "lnk", "reg", "cpl"),
    }
)
_MAGIC = (
    (b"MZ", "Windows"),
    (b"\x7fELF", "ELF"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java"),
    (b"#!", "script"),
)
_CONTAINERS = (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)
_ACTIONS = {
    "/JavaScript": ("javascript", "JavaScript 脚本", "JavaScript"),
    "/Launch": ("launch", "启动外部程序的动作（Launch）", "a Launch action (runs a program)"),
    "/ImportData": ("import_data", "导入数据的动作（ImportData）", "an ImportData action"),
    "/RichMediaExecute": ("rich_media", "富媒体执行动作", "a RichMediaExecute action"),
}


@dataclass(frozen=True)
class ActiveContent:
    """One finding: a stable ``code``, where (``where``, e.g. ``object 12``), zh and en text."""

    code: str
    where: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": f"active_content.{self.code}",
            "where": self.where,
            "message": self.message,
            "message_en": self.message_en,
        }


def _walk(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Object]]:
    """Every dictionary and stream, indirect or nested directly in one, with its holder's number."""
    for holder in pdf.objects:
        pending = [holder]
        while pending:
            obj = pending.pop()
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                yield holder.objgen[0], obj
                children = [obj[key] for key in obj.keys()]  # noqa: SIM118 - pikepdf mapping
            elif isinstance(obj, pikepdf.Array):
                children = list(obj)
            else:
                continue
            pending.extend(c for c in children if isinstance(c, _CONTAINERS) and not c.is_indirect)


def _head(stream: pikepdf.Stream, count: int = 16) -> bytes:
    """The first decoded bytes of an embedded file (Flate or unfiltered; else none)."""
    raw = bytes(stream.read_raw_bytes())
    filters = stream.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
    if filters is None:
        return raw[:count]
    if names == ["/FlateDecode"]:
        try:
            return zlib.decompressobj().decompress(raw, count)
        except zlib.error:
            return b""
    return b""


def _executable(name: str, head: bytes) -> str | None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if extension in EXECUTABLE_EXTENSIONS:
        return f".{extension}"
    return None


def _file_name(spec: pikepdf.Object) -> str:
    for key in ("/UF", "/F"):
        value = spec.get(key)
        if value is not None and not isinstance(value, pikepdf.Dictionary):
            return str(value)
    return ""


def _scan(pdf: pikepdf.Pdf) -> Iterator[ActiveContent]:
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        yield ActiveContent(
            "javascript", "/Names", "文档级 JavaScript 脚本", "document-level JavaScript"
        )
    opening = root.get("/OpenAction")
    if isinstance(opening, pikepdf.Dictionary) and (
        "/JS" in opening or str(opening.get("/S")) in _ACTIONS
    ):
        yield ActiveContent(
            "open_action",
            "/OpenAction",
            "打开文件时自动执行的动作（OpenAction）",
            "an action run when the file is opened (/OpenAction)",
        )
    acroform = root.get("/AcroForm")
    if isinstance(acroform, pikepdf.Dictionary) and "/XFA" in acroform:
        yield ActiveContent("xfa", "/AcroForm", "XFA 表单（可含脚本）", "an XFA form (scriptable)")
    for number, obj in _walk(pdf):
        where = f"object {number}"
        action = _ACTIONS.get(str(obj.get("/S")))
        if action:
            code, zh, en = action
            yield ActiveContent(code, where, f"{zh}（对象 {number}）", f"{en} (object {number})")
        elif "/JS" in obj:
            yield ActiveContent(
                "javascript", where, f"JavaScript 脚本（对象 {number}）", f"JavaScript ({where})"
            )
        if "/AA" in obj:
            yield ActiveContent(
                "additional_actions",
                where,
                f"附加动作 /AA（对象 {number}）",
                f"additional actions /AA ({where})",
            )
        subtype = str(obj.get("/Subtype"))
        if subtype == "/RichMedia" or "/RichMediaContent" in obj:
            yield ActiveContent(
                "rich_media",
                where,
                f"富媒体或多媒体内容（对象 {number}）",
                f"rich media ({where})",
            )
        if isinstance(obj.get("/EF"), pikepdf.Dictionary):  # a file specification (/Type optional)
            yield from _embedded(obj, number)


def _embedded(spec: pikepdf.Object, number: int) -> Iterator[ActiveContent]:
    name = _file_name(spec)
    for stream in spec["/EF"].values():
        if not isinstance(stream, pikepdf.Stream):
            continue
        kind = _executable(name, _head(stream))
        if kind:
            yield ActiveContent(
                "embedded_executable",
                f"object {number}",
                f"内嵌可执行文件“{name}”（{kind}）",
                f"an embedded executable {name!r} ({kind})",
            )
            return


def find_active_content(source: BinaryIO | bytes) -> list[ActiveContent]:
    """Active content in a PDF (a stream is left at position 0). A PDF that cannot be parsed is
    one finding (``unreadable``): what cannot be inspected cannot be said to be inert."""
    stream: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    stream.seek(0)
    try:
        with pikepdf.open(stream) as pdf:
            found: list[ActiveContent] = []
            seen: set[tuple[str, str]] = set()
            for item in _scan(pdf):
                if (item.code, item.where) not in seen:
                    seen.add((item.code, item.where))
                    found.append(item)
            return found
    except pikepdf.PasswordError:
        return [
            ActiveContent(
                "unreadable", "", "文件已加密，无法检查活动内容", "encrypted: cannot be inspected"
            )
        ]
    except pikepdf.PdfError as exc:
        return [
            ActiveContent(
                "unreadable",
                "",
                "文件无法解析，无法检查活动内容",
                f"cannot be parsed, so cannot be inspected: {exc}"[:200],
            )
        ]
    finally:
        stream.seek(0)
