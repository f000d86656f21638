"""The recipient listing drawn straight onto the page, without WeasyPrint's text layout.

Each recipient's lines (already padded and wrapped by :mod:`circulation.ackrecord.listing`) are
one block-level "image" in the template (``<img class="rec" src="x-record-lines:N">``): WeasyPrint
takes the :class:`DrawnLines` object for that URL from the render's image cache (nothing is
fetched), sizes it like any replaced box (the lines' height; a page break falls between two
recipients, or between two lines of a recipient taller than a page, see :func:`install`), and at
paint time :meth:`DrawnLines.draw` writes the lines into the page's content
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

A run of consecutive drawable recipients of a unit (same colour) is **one** such box, not one per
recipient: in the render helper, :func:`install` teaches WeasyPrint's block layout to split it
between two recipients where a page is full, exactly where it would break a column of one box per
recipient (the same overflow test, the same positions; a resumed part carries on with the next
recipient). WeasyPrint then parses, styles, lays out and paints about one box per page instead of
one per recipient (1,000 recipients: about a quarter less CPU, docs/benchmarks.md).
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


@functools.cache
def _drawable_chars() -> frozenset[str]:
    return frozenset(chr(codepoint) for codepoint in mono_face_cmap()) | {"\n"}


def drawable(text: str) -> bool:
    """Every character is in the monospaced face's character map (or a line break)."""
    return _drawable_chars().issuperset(text)


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
    """Recipients' lines, as WeasyPrint sees an image (``get_intrinsic_size``, ``draw``).

    ``sizes``: the number of lines of each recipient, when there are several (a page break may
    then fall between two of them, see :func:`install`); empty for one recipient."""

    lines: list[str]
    columns: float
    shared: _Shared
    sizes: tuple[int, ...] = ()

    def recipient_sizes(self) -> tuple[int, ...]:
        return self.sizes or (len(self.lines),)

    def part(self, first: int, last: int) -> DrawnLines:
        """Lines ``first`` to ``last`` (excluded), for one page."""
        return DrawnLines(self.lines[first:last], self.columns, self.shared)

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
    listing: dict[str, Any], columns: float, *, together: bool | None = None
) -> tuple[dict[str, Any], dict[str, DrawnLines]]:
    """The listing with a ``src`` on every record that can be drawn, and the image cache.

    With ``together`` (the default where WeasyPrint's layout can be taught to split them), each
    run of consecutive drawable records of a unit with the same colour becomes one record: one
    box that :func:`install` splits at page breaks."""
    if together is None:
        together = can_split()
    shared = _Shared()
    cache: dict[str, DrawnLines] = {}
    for unit in listing["units"]:
        records: list[dict[str, Any]] = []
        for run in _runs(unit["records"], together):
            if len(run) == 1 and not drawable(run[0]["text"]):
                records.append(run[0])  # laid out as text by WeasyPrint
                continue
            url = _url(len(cache))
            texts = [record["text"] for record in run]
            sizes = tuple(text.count("\n") + 1 for text in texts) if len(run) > 1 else ()
            cache[url] = DrawnLines("\n".join(texts).split("\n"), columns, shared, sizes)
            if len(run) == 1:
                records.append({**run[0], "src": url})
            else:
                records.append({"muted": run[0]["muted"], "text": "\n".join(texts), "src": url})
        unit["records"] = records
    return listing, cache


def _runs(records: list[dict[str, Any]], together: bool) -> list[list[dict[str, Any]]]:
    """The records in runs to draw as one box each: drawable, consecutive, of one colour (with
    ``together``; else one each); a record that cannot be drawn is a run of its own."""
    runs: list[list[dict[str, Any]]] = []
    previous: dict[str, Any] | None = None
    for record in records:
        can_draw = drawable(record["text"])
        if (
            together
            and can_draw
            and previous is not None
            and runs[-1][-1] is previous
            and previous["muted"] == record["muted"]
        ):
            runs[-1].append(record)
        else:
            runs.append([record])
        previous = record if can_draw else None
    return runs


# --- WeasyPrint's block layout, taught to split a DrawnLines of several recipients ------------

_installed = False


def can_split() -> bool:
    """This WeasyPrint has the layout function that :func:`install` wraps."""
    from weasyprint.layout import block, replaced

    return callable(getattr(block, "block_level_layout_switch", None)) and callable(
        getattr(replaced, "block_replaced_box_layout", None)
    )


def install() -> None:
    """Wrap WeasyPrint's block-level layout in this process (the render helper only).

    A block replaced box whose image is a :class:`DrawnLines` is laid out as the part of its
    recipients that fits on the page: recipient after recipient, each kept when its bottom does
    not overflow the page (``context.overflows_page``, as WeasyPrint tests a block of one
    recipient; the first one on a page is always kept, the parent decides about it as about any
    box). The rest goes to the next page through the skip stack (``{next: None}``), as the
    children of a block would. A recipient taller than a whole page (a long comment: up to 2,000
    characters and as many line breaks) that begins a page is cut between two lines where the
    page is full and goes on on the next one (``{recipient: {line: None}}``), as WeasyPrint
    breaks the text of a block that does not fit on an empty page despite ``break-inside:
    avoid`` — drawn as one box it would run over the page's foot and off the paper.
    """
    global _installed
    if _installed:
        return
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import block, replaced

    original = block.block_level_layout_switch
    replaced_layout = replaced.block_replaced_box_layout

    def block_level_layout_switch(
        context: Any,
        box: Any,
        bottom_space: float,
        skip_stack: dict[int, Any] | None,
        containing_block: Any,
        page_is_empty: bool,
        *args: Any,
    ) -> Any:
        image = getattr(box, "replacement", None)
        if not (type(image) is DrawnLines and isinstance(box, boxes.BlockReplacedBox)):
            return original(
                context, box, bottom_space, skip_stack, containing_block, page_is_empty, *args
            )
        sizes = image.recipient_sizes()
        start, skip = 0, 0
        if skip_stack:
            ((start, inner),) = skip_stack.items()
            skip = next(iter(inner)) if inner else 0
        first_line = sum(sizes[:start]) + skip
        line_height = LINE_HEIGHT * box.style["font_size"]

        def laid_out(last_line: int) -> Any:
            part = box.copy()
            part.replacement = image.part(first_line, last_line)
            return replaced_layout(context, part, containing_block)[0]

        last_line = first_line + sizes[start] - skip
        new_box = laid_out(last_line)
        top = new_box.content_box_y()
        position_y = top + (sizes[start] - skip) * LINE_HEIGHT * box.style["font_size"]
        if page_is_empty and context.overflows_page(bottom_space, position_y):
            # Taller than the page: the lines that fit (at least one), the rest on the next.
            shown = 1
            while shown < sizes[start] - skip - 1 and not context.overflows_page(
                bottom_space, top + (shown + 1) * line_height
            ):
                shown += 1
            new_box = laid_out(first_line + shown)
            return (
                new_box,
                {start: {skip + shown: None}},
                {"break": "any", "page": None},
                [],
                False,
                None,
            )
        end = start + 1
        while end < len(sizes):
            bottom = position_y + sizes[end] * LINE_HEIGHT * box.style["font_size"]
            if context.overflows_page(bottom_space, bottom):
                break
            position_y, end, last_line = bottom, end + 1, last_line + sizes[end]
        if end > start + 1:
            new_box = laid_out(last_line)
        resume_at = {end: None} if end < len(sizes) else None
        return new_box, resume_at, {"break": "any", "page": None}, [], False, None

    block.block_level_layout_switch = block_level_layout_switch
    _installed = True
