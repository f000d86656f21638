"""归档章: the filing stamp on the first page of the sealed record, top right (DA/T 22-2015).

Two rows of three cells — 全宗号 | 年度 | 件号 over 机构(问题) | 保管期限 | 页数 — each with a small
label and the value, in red. WeasyPrint renders the stamp as a tiny PDF/A page (CJK font embedded);
pikepdf places that page on the record's first page as a Form XObject (``Page.add_overlay``), so the
record keeps its PDF/A identification, output intent, embedded fonts and associated files.
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


def stamp_html(data: StampData) -> str:
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
</style></head><body><table>{"".join(rows)}</table></body></html>"""


def _refuse_fetch(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    raise ValueError(f"the stamp loads no resources: {url[:60]}")


def render_stamp(data: StampData) -> bytes:
    """The stamp as a one-page PDF/A-3b of exactly the stamp's size."""
    from weasyprint import HTML

    html = HTML(string=stamp_html(data), url_fetcher=_refuse_fetch, base_url=None)
    pdf: bytes = html.write_pdf(pdf_variant="pdf/a-3b")
    return pdf


def apply_stamp(record_pdf: bytes, data: StampData) -> bytes:
    """The record with the stamp on page 1, top right; everything else unchanged."""
    stamp_bytes = render_stamp(data)
    with pikepdf.open(io.BytesIO(record_pdf)) as pdf, pikepdf.open(io.BytesIO(stamp_bytes)) as st:
        page = pdf.pages[0]
        box = page.cropbox if "/CropBox" in page.obj else page.mediabox
        x1 = float(box[2]) - MARGIN_RIGHT_MM * MM
        y1 = float(box[3]) - MARGIN_TOP_MM * MM
        rect = pikepdf.Rectangle(x1 - STAMP_W_MM * MM, y1 - STAMP_H_MM * MM, x1, y1)
        form = pdf.copy_foreign(st.pages[0].as_form_xobject())
        page.add_overlay(form, rect)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=False)
        return out.getvalue()
