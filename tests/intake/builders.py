"""Build the sample notice (and variants) as the files offices receive: TXT in UTF-8 or GBK,
DOCX (python-docx), PDF (WeasyPrint) and OFD (a minimal GB/T 33190 package written here)."""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "docs" / "samples" / "wugongxin-2022-25.txt"


def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


def sample_lines() -> list[str]:
    return sample_text().splitlines()


def notice_lines(
    *,
    number: str = "舞工信〔2022〕25号",
    title: list[str] | None = None,
    addressees: str | None = "各股室、二级机构：",
    body: list[str] | None = None,
    closing: list[str] | None = None,
    head: list[str] | None = None,
    issuer_mark: str | None = "舞阳县工业和信息化局文件",
) -> list[str]:
    """A notice laid out per GB/T 9704: marks, 发文机关标志, 文号, title, 主送, body, closing."""
    lines: list[str] = [*(head or [])]
    if issuer_mark:
        lines += [issuer_mark, ""]
    if number:
        lines += [number, ""]
    lines += title or ["舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"]
    lines.append("")
    if addressees:
        lines += [addressees, ""]
    lines += body or [
        "为加快数字工信建设，现转发《国务院关于加强数字政府建设的指导意见》，请各股室认真学习。"
    ]
    lines += ["", *(closing or [])]
    return lines


def txt(lines: list[str], encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


def docx(lines: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf(lines: list[str]) -> bytes:
    from weasyprint import HTML

    paragraphs = "".join(f"<p>{html.escape(line) or '&#160;'}</p>" for line in lines)
    page = (
        "<html><head><meta charset='utf-8'><style>"
        "@page{size:A4;margin:2cm} body{font-family:'Noto Sans CJK SC';font-size:12pt}"
        "p{margin:0;line-height:1.6}</style></head>"
        f"<body>{paragraphs}</body></html>"
    )
    return bytes(HTML(string=page).write_pdf())


def ofd(lines: list[str], *, extra_members: dict[str, bytes] | None = None) -> bytes:
    """A minimal OFD: OFD.xml → Doc_0/Document.xml → one page whose Content.xml has one
    TextObject per line (GB/T 33190-2016 structure, namespace http://www.ofdspec.org/2016)."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    objects = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        y = 20 + index * 6
        objects.append(
            f'<ofd:TextObject ID="{index + 10}" Boundary="10 {y} 190 6" Font="3" Size="4.2">'
            f'<ofd:TextCode X="0" Y="4.2">{html.escape(line)}</ofd:TextCode></ofd:TextObject>'
        )
    height = 40 + len(lines) * 6
    members = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>a1</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData>'
            f"<ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 {height}"
            "</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
            '</ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
            "</ofd:Pages></ofd:Document>"
        ),
        "Doc_0/PublicRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {ns} BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
        ),
        "Doc_0/Pages/Page_0/Content.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content>'
            f'<ofd:Layer ID="2">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("utf-8"))
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def build(kind: str, lines: list[str]) -> tuple[str, bytes]:
    """``(file name, bytes)`` of ``lines`` as ``kind``: txt, gbk, docx, pdf or ofd."""
    if kind == "gbk":
        return "notice-gbk.txt", txt(lines, "gbk")
    if kind == "txt":
        return "notice.txt", txt(lines)
    builder = {"docx": docx, "pdf": pdf, "ofd": ofd}[kind]
    return f"notice.{kind}", builder(lines)
