"""The render helper shares computed page styles between pages that the same ``@page`` rules select,
and lays out a margin box with the same text once (circulation/ackrecord/pagestyles.py): every
document it renders — the record, the 处理笺 — must still get, page by page, the margin boxes that
its own ``@page`` rules give that page (:first, :left/:right, :nth(), page numbers)."""

import io

from pypdf import PdfReader

from circulation.ackrecord.render import render_html
from tests.ackrecord.builders import squeeze

PAGES = 6
HTML = f"""<!DOCTYPE html><html lang="zh-hans"><head><style>
@page {{ size: A6; margin: 20mm 12mm; font-family: "Noto Serif CJK SC"; font-size: 8pt;
        @top-left {{ content: "通用页眉"; }}
        @bottom-right {{ content: "第 " counter(page) " 页 共 " counter(pages) " 页"; }} }}
@page :first {{ @top-left {{ content: "首页页眉"; }} }}
@page :nth(3) {{ @top-left {{ content: "第三页页眉"; }} }}
@page :left {{ @bottom-left {{ content: "左页"; }} }}
body {{ font-family: "Noto Serif CJK SC"; margin: 0; }}
p {{ break-after: page; margin: 0; }}
</style></head><body>{"".join(f"<p>正文{n}</p>" for n in range(1, PAGES + 1))}</body></html>"""


def test_every_page_gets_the_margin_boxes_of_its_own_page_rules() -> None:
    pdf = render_html(HTML).pdf

    pages = [squeeze(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == PAGES
    for number, text in enumerate(pages, start=1):
        assert f"正文{number}" in text
        assert f"第{number}页共{PAGES}页" in text
        head = {1: "首页页眉", 3: "第三页页眉"}.get(number, "通用页眉")
        assert head in text, (number, text)
        others = {"首页页眉", "第三页页眉", "通用页眉"} - {head}
        assert not any(other in text for other in others), (number, text)
        # Page 1 is a right page (left-to-right): the even pages are left pages.
        assert ("左页" in text) is (number % 2 == 0), (number, text)
