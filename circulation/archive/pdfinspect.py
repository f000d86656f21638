"""Read-only inspection of a PDF for the 四性 checks: does it open, its PDF/A identification, fonts
that are not embedded, active content (JavaScript, launch actions) and its embedded files."""

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
import pypdf

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_SIMPLE_FONTS = ("/Type1", "/TrueType", "/MMType1")
_CONTAINERS = (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)
_ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "Launch", "/ImportData": "ImportData"}


@dataclass
class PdfFacts:
    opens: bool = False
    open_error: str = ""
    page_count: int = 0
    pdfa_part: str | None = None
    pdfa_conformance: str | None = None
    unembedded_fonts: list[str] = field(default_factory=list)
    font_count: int = 0
    active_content: list[str] = field(default_factory=list)
    embedded_files: dict[str, bytes] = field(default_factory=dict)
    first_page_text: str = ""

    @property
    def pdfa(self) -> str | None:
        if self.pdfa_part is None:
            return None
        return f"PDF/A-{self.pdfa_part}{(self.pdfa_conformance or '').lower()}"


def _name(value: object) -> str:
    return str(value) if value is not None else ""


def _dictionaries(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Object]]:
    """Every dictionary and stream of the file, indirect or nested directly inside one, with
    the number of the indirect object that holds it."""
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
            pending.extend(
                child
                for child in children
                if isinstance(child, _CONTAINERS) and not child.is_indirect
            )


def _font_problems(pdf: pikepdf.Pdf, facts: PdfFacts) -> None:
    for _number, obj in _dictionaries(pdf):
        if obj.get("/Type") != "/Font":
            continue
        subtype = _name(obj.get("/Subtype"))
        if subtype in ("/Type0", "/Type3"):  # Type0: its CID descendant is checked itself
            facts.font_count += subtype == "/Type3"
            continue
        facts.font_count += 1
        descriptor = obj.get("/FontDescriptor")
        embedded = isinstance(descriptor, pikepdf.Dictionary) and any(
            key in descriptor for key in _FONT_FILES
        )
        if not embedded and (subtype in _SIMPLE_FONTS or subtype.startswith("/CIDFont")):
            facts.unembedded_fonts.append(_name(obj.get("/BaseFont")) or subtype)


def _active_content(pdf: pikepdf.Pdf, facts: PdfFacts) -> None:
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        facts.active_content.append("document-level JavaScript (/Names /JavaScript)")
    for number, obj in _dictionaries(pdf):
        action = _ACTIVE_ACTIONS.get(_name(obj.get("/S")))
        if action:
            facts.active_content.append(f"{action} action (in object {number})")
        elif "/JS" in obj:
            facts.active_content.append(f"JavaScript (/JS in object {number})")
        if "/AA" in obj:
            facts.active_content.append(f"additional actions (/AA in object {number})")


def inspect_pdf(data: bytes) -> PdfFacts:
    facts = PdfFacts()
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        facts.page_count = len(reader.pages)
        facts.first_page_text = reader.pages[0].extract_text() if facts.page_count else ""
        facts.opens = facts.page_count > 0
    except Exception as exc:  # any parser failure means "does not open"
        facts.open_error = f"{type(exc).__name__}: {exc}"[:300]
        return facts
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            meta = pdf.open_metadata()
            facts.pdfa_part = meta.get("pdfaid:part")
            facts.pdfa_conformance = meta.get("pdfaid:conformance")
            _font_problems(pdf, facts)
            _active_content(pdf, facts)
            for name, spec in pdf.attachments.items():
                facts.embedded_files[name] = spec.get_file().read_bytes()
    except pikepdf.PdfError as exc:
        facts.opens = False
        facts.open_error = f"pikepdf: {exc}"[:300]
    return facts
