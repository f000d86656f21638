"""The recipient listing drawn straight onto the page, without WeasyPrint's text layout.

Each recipient's lines (already padded and wrapped by :mod:`circulation.ackrecord.listing`) are
one block-level "image" in the template (``<img class="rec" src="x-record-lines:N">``): WeasyPrint
takes the :class:`DrawnLines` object for that URL from the render's image cache (nothing is
fetched), sizes it like any replaced box (the lines' height; a page break falls between two
recipients), and at paint time :meth:`DrawnLines.draw` writes the lines into the page's content
stream as text in the monospaced face, with the same font object, glyph ids, widths, ToUnicode
map and subsetting as the text WeasyPrint lays out itself: the PDF stays PDF/A-3b, the text can be
selected, searched and extracted, and it looks the same.

Why: laid out as text, every line of the listing costs WeasyPrint a Pango layout twice (line
breaking, then drawing) and a Python loop over its glyphs; 1,000 recipients took about 1.5 s of
CPU in layout and painting. Here a recipient costs one box, and its glyphs are looked up once per
distinct character and process (docs/benchmarks.md has the numbers).

A record is drawn this way only when every character of it is a single glyph of the monospaced
face (:func:`drawable`); any other record (a fallback font's character, a combining sequence) is
laid out as text by WeasyPrint as before, in the same place. If Pango disagrees at paint time
(another face, several glyphs for a character), :class:`NotDrawable` is raised and the record is
rendered again with the whole listing as text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from circulation.ackrecord.fonts import MONO_FONT, mono_face_cmap

URL_SCHEME = "x-record-lines"
LINE_HEIGHT = 1.5  # × the font size: the CSS of ``.acklist`` (``line-height: 1.5``)


class NotDrawable(RuntimeError):
    """Pango shaped a listing character differently than the fast path assumes."""


def drawable(text: str) -> bool:
    """Every character is in the monospaced face's character map (or a line break)."""
    cmap = mono_face_cmap()
    return all(char == "\n" or ord(char) in cmap for char in text)


@dataclass
class _Shared:
    """Per render: the monospaced font of this document, looked up on the first draw."""

    font: Any = None
    font_size: float = 0.0
    baseline: float = 0.0
    registered: set[str] = field(default_factory=set)


# Per process: character → (glyph id, width in 1/1000 em, the id in hex), per font hash (the
# font's description: family, style, weight; not its size).
Glyph = tuple[int, int, str]
_GLYPHS: dict[str, dict[str, Glyph]] = {}


@dataclass
class DrawnLines:
    """One recipient's lines, as WeasyPrint sees an image (``get_intrinsic_size``, ``draw``)."""

    lines: list[str]
    columns: float
    shared: _Shared

    def get_intrinsic_size(
        self, image_resolution: float, font_size: float
    ) -> tuple[float, float, float]:
        width = self.columns * font_size / 2  # a column is half an em of the monospaced face
        height = len(self.lines) * LINE_HEIGHT * font_size
        return width, height, width / height

    def draw(self, stream: Any, concrete_width: float, concrete_height: float, style: Any) -> None:
        shared = self.shared
        if shared.font is None:
            _set_up(shared, stream, style)
        font = shared.font
        text = "".join(self.lines)
        glyphs = _glyph_map(font, style, text)
        new = set(text) - shared.registered
        if new:
            for char in new:
                gid, width, _ = glyphs[char]
                font.to_unicode.setdefault(gid, char)
                font.widths.setdefault(gid, width)
            shared.registered |= new
        line_height = LINE_HEIGHT * style["font_size"]
        color = style["color"]
        if color.alpha == 1 and color.space == "srgb":
            # Inside the q … Q that WeasyPrint puts around every replaced box: set directly.
            stream.stream.append(_rgb(tuple(color.coordinates)))
        else:
            stream.set_color(color)
        stream.begin_text()
        stream.set_font_size(font.hash, shared.font_size)
        # One operator string for all lines: a text matrix (y downwards, as WeasyPrint's page
        # transform has it, flipped back for the glyphs) and the glyph ids as one hex string.
        stream.stream.append(
            "\n".join(
                f"1 0 0 -1 0 {index * line_height + shared.baseline:.4f} Tm "
                f"<{''.join([glyphs[char][2] for char in line])}> Tj"
                for index, line in enumerate(self.lines)
                if line.strip()
            ).encode("ascii")
        )
        stream.end_text()


@functools.cache
def _rgb(coordinates: tuple[float, ...]) -> bytes:
    return " ".join(f"{value:g}" for value in coordinates).encode("ascii") + b" rg"


def _set_up(shared: _Shared, stream: Any, style: Any) -> None:
    """The document's Font for the monospaced face, its size and the baseline in a line."""
    from weasyprint.text.line_break import split_first_line

    layout, _, _, _, height, baseline = split_first_line("0", style, None, None, 0)
    layout.reactivate(style)
    pango_font = layout.get_first_line()[0].runs[0].data.item.analysis.font
    font, font_size = stream.add_font(pango_font)
    layout.deactivate()
    if font.family != MONO_FONT:
        raise NotDrawable(f"the listing's face is {font.family!r}")
    shared.font = font
    shared.font_size = font_size
    # As WeasyPrint places a line of text: half the leading above, then the ascent.
    shared.baseline = (LINE_HEIGHT * style["font_size"] - height) / 2 + baseline


def _glyph_map(font: Any, style: Any, text: str) -> dict[str, Glyph]:
    glyphs = _GLYPHS.setdefault(font.hash, {})
    missing = set(text) - glyphs.keys() - {"\n"}
    if missing:
        glyphs.update(_shape(font, style, "".join(sorted(missing))))
    return glyphs


def _shape(font: Any, style: Any, chars: str) -> dict[str, Glyph]:
    """Glyph id and width of each character, as Pango shapes it alone in the listing's style."""
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango
    from weasyprint.text.line_break import Layout

    found: dict[str, Glyph] = {}
    ink, logical = ffi.new("PangoRectangle *"), ffi.new("PangoRectangle *")
    for char in chars:
        layout = Layout(style)
        layout.set_text(char)
        line = layout.get_first_line()[0]
        run = line.runs[0]
        glyph_item = run.data
        glyph_string = glyph_item.glyphs
        pango_font = glyph_item.item.analysis.font
        if run.next != ffi.NULL or glyph_string.num_glyphs != 1:
            raise NotDrawable(f"U+{ord(char):04X} is not one glyph")
        gid = glyph_string.glyphs[0].glyph
        if gid & pango.PANGO_GLYPH_UNKNOWN_FLAG or not _same_face(pango_font, font):
            raise NotDrawable(f"U+{ord(char):04X} is not in the listing's face")
        font_size = _pango_size(pango_font)
        pango.pango_font_get_glyph_extents(pango_font, gid, ink, logical)
        found[char] = (gid, round(logical.width * 1000 * FROM_UNITS / font_size), f"{gid:04x}")
        layout.deactivate()
    return found


def _pango_size(pango_font: Any) -> float:
    from weasyprint.text.fonts import get_pango_font_key

    return float(get_pango_font_key(pango_font)[2])


def _same_face(pango_font: Any, font: Any) -> bool:
    from weasyprint.text.fonts import get_pango_font_key
    from weasyprint.text.line_break import ffi, pango

    description = get_pango_font_key(pango_font)[1]
    family = ffi.string(pango.pango_font_description_get_family(description)).decode()
    return bool(family == font.family)


@functools.cache
def _url(index: int) -> str:
    return f"{URL_SCHEME}:{index}"


def drawn_records(
    listing: dict[str, Any], columns: float
) -> tuple[dict[str, Any], dict[str, DrawnLines]]:
    """The listing with a ``src`` on every record that can be drawn, and the image cache."""
    shared = _Shared()
    cache: dict[str, DrawnLines] = {}
    for unit in listing["units"]:
        for record in unit["records"]:
            if drawable(record["text"]):
                url = _url(len(cache))
                cache[url] = DrawnLines(record["text"].split("\n"), columns, shared)
                record["src"] = url
    return listing, cache
