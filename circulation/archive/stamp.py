"""归档章: the filing stamp on the first page of the sealed record, top right (DA/T 22-2015).

Two rows of three cells — 全宗号 | 年度 | 件号 over 机构(问题) | 保管期限 | 页数 — each with a small
label and the value, in red. WeasyPrint renders the stamp as a tiny PDF/A page (CJK font embedded);
pikepdf places that page on the record's first page as a Form XObject (``Page.add_overlay``), so the
record keeps its PDF/A identification, output intent, embedded fonts and associated files.

When the record is to be signed, the same WeasyPrint run draws the seal's signature appearance
(:class:`SealMark`, a second page: one font subset for both, no second render), and the stamped
file gets an empty signature field whose widget shows it, right under the stamp
(:func:`signature_rect`); ``signing.py`` then signs that field with pyHanko, keeping the look.
"""

import io
from dataclasses import dataclass

import pikepdf
from django.utils.html import escape

from circulation.archive.codes import ArchivalCode, Retention

MM = 72 / 25.4
CELL_W_MM, CELL_H_MM = 18, 9
STAMP_W_MM, STAMP_H_MM = 3 * CELL_W_MM, 2 * CELL_H_MM
# The top right corner of the record's content area (page margins: 20 mm top, 16 mm right), where
# the record's template leaves a blank ``.stamp-area`` of exactly this size; the QR code is at the
# top left. Tests check with pdfplumber that the stamp covers neither the QR code nor any text.
MARGIN_RIGHT_MM, MARGIN_TOP_MM = 16, 20
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", "HanaMinB", "Symbola"'
# The signature's appearance: under the stamp, right-aligned with it, where the record leaves blank
# space (its centred 确认单编号 line ends about 38 mm from the right edge, the facts table starts
# 12 mm below the stamp). Tests check with pdfplumber that it covers no text, QR code or stamp.
SIG_W_MM, SIG_H_MM, SIG_GAP_MM = 36, 9.5, 1.0
SIG_FIELD = "ArchiveSeal"
SEAL_BLUE = "#1f3a93"


@dataclass(frozen=True)
class SealMark:
    """What the visible signature shows: the seal's holder, the day and the 档号."""

    signer: str
    archival_code: str
    day: str  # YYYY-MM-DD (Asia/Shanghai)
    demo: bool


@dataclass(frozen=True)
class StampData:
    fonds: str
    year: int
    item_no: int
    unit_code: str
    retention: str
    page_count: int

    @classmethod
    def of(cls, code: ArchivalCode, page_count: int) -> "StampData":
        return cls(code.fonds, code.year, code.item_no, code.unit, code.retention, page_count)

    def cells(self) -> list[tuple[str, str]]:
        return [
            ("全宗号", self.fonds),
            ("年度", str(self.year)),
            ("件号", f"{self.item_no:04d}"),
            ("机构（问题）", self.unit_code),
            ("保管期限", str(Retention(self.retention).label)),
            ("页数", str(self.page_count)),
        ]


def signature_rect(page_width: float, page_height: float) -> tuple[float, float, float, float]:
    """The signature's box on page 1 in PDF points (x0, y0, x1, y1; origin bottom left)."""
    x1 = page_width - MARGIN_RIGHT_MM * MM
    top = page_height - (MARGIN_TOP_MM + STAMP_H_MM + SIG_GAP_MM) * MM
    return (x1 - SIG_W_MM * MM, top - SIG_H_MM * MM, x1, top)


def _mark_html(mark: SealMark) -> str:
    demo = '<p class="d">演示证书 不具法律效力 DEMO</p>' if mark.demo else ""
    return f"""<div class="sig">
<p class="t">电子签章 Digitally sealed (PAdES)</p>
<p>{escape(mark.signer)}</p>
<p>{escape(mark.day)}　{escape(mark.archival_code)}</p>{demo}
</div>"""


def stamp_html(data: StampData, mark: SealMark | None = None) -> str:
    cells = data.cells()
    rows = []
    for row in (cells[:3], cells[3:]):
        tds = "".join(
            f'<td><span class="l">{escape(label)}</span><span class="v">{escape(value)}</span></td>'
            for label, value in row
        )
        rows.append(f"<tr>{tds}</tr>")
    return f"""<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page {{ size: {STAMP_W_MM}mm {STAMP_H_MM}mm; margin: 0.4mm }}
html, body {{ margin: 0; padding: 0 }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed;
  font-family: {FONT_FAMILY}; color: #c00000 }}
td {{ border: 0.6pt solid #c00000; height: {CELL_H_MM - 1}mm; padding: 0; overflow: hidden;
  text-align: center; vertical-align: middle; line-height: 1.15 }}
.l {{ display: block; font-size: 4.6pt }}
.v {{ display: block; font-size: 7.5pt; font-weight: bold }}
@page sig {{ size: {SIG_W_MM}mm {SIG_H_MM}mm; margin: 0 }}
.sig {{ page: sig; box-sizing: border-box; width: {SIG_W_MM}mm; height: {SIG_H_MM}mm;
  padding: 0.6mm 1mm; border: 0.5pt solid {SEAL_BLUE}; color: {SEAL_BLUE};
  font-family: {FONT_FAMILY}; overflow: hidden }}
.sig p {{ margin: 0; font-size: 4.3pt; line-height: 1.35; white-space: nowrap; overflow: hidden }}
.sig p.t {{ font-size: 4.8pt }}
.sig p.d {{ color: #8a5a00 }}
</style></head><body><table>{"".join(rows)}</table>{_mark_html(mark) if mark else ""}
</body></html>"""


def _refuse_fetch(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    raise ValueError(f"the stamp loads no resources: {url[:60]}")


def render_stamp(data: StampData, mark: SealMark | None = None) -> bytes:
    """The stamp as a one-page PDF/A-3b of exactly the stamp's size (and the signature's
    appearance as a second page of its own size when ``mark`` is given)."""
    from weasyprint import HTML

    html = HTML(string=stamp_html(data, mark), url_fetcher=_refuse_fetch, base_url=None)
    pdf: bytes = html.write_pdf(pdf_variant="pdf/a-3b")
    return pdf


def _add_signature_field(pdf: pikepdf.Pdf, page: pikepdf.Page, appearance: pikepdf.Object) -> None:
    """An empty signature field on page 1 whose widget shows ``appearance`` (printed, locked)."""
    box = page.cropbox if "/CropBox" in page.obj else page.mediabox
    x0, y0 = float(box[0]), float(box[1])
    r = signature_rect(float(box[2]) - x0, float(box[3]) - y0)
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Sig,
            T=pikepdf.String(SIG_FIELD),
            F=132,  # Print + Locked
            Rect=pikepdf.Array([x0 + r[0], y0 + r[1], x0 + r[2], y0 + r[3]]),
            P=page.obj,
            AP=pikepdf.Dictionary(N=appearance),
        )
    )
    page.obj.Annots = pdf.make_indirect(
        pikepdf.Array([*page.obj.get("/Annots", pikepdf.Array()), field])
    )
    acroform = pdf.Root.get("/AcroForm")
    if acroform is None:
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=pikepdf.Array()))
        acroform = pdf.Root.AcroForm
    acroform.Fields = pikepdf.Array([*acroform.get("/Fields", pikepdf.Array()), field])
    acroform.SigFlags = 3  # SignaturesExist | AppendOnly


def apply_stamp(record_pdf: bytes, data: StampData, mark: SealMark | None = None) -> bytes:
    """The record with the stamp on page 1, top right; everything else unchanged. With ``mark``,
    also the empty signature field under the stamp that ``signing.sign_record`` signs."""
    stamp_bytes = render_stamp(data, mark)
    with pikepdf.open(io.BytesIO(record_pdf)) as pdf, pikepdf.open(io.BytesIO(stamp_bytes)) as st:
        page = pdf.pages[0]
        box = page.cropbox if "/CropBox" in page.obj else page.mediabox
        x1 = float(box[2]) - MARGIN_RIGHT_MM * MM
        y1 = float(box[3]) - MARGIN_TOP_MM * MM
        rect = pikepdf.Rectangle(x1 - STAMP_W_MM * MM, y1 - STAMP_H_MM * MM, x1, y1)
        form = pdf.copy_foreign(st.pages[0].as_form_xobject())
        page.add_overlay(form, rect)
        if mark is not None:
            _add_signature_field(pdf, page, pdf.copy_foreign(st.pages[1].as_form_xobject()))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=False)
        return out.getvalue()
