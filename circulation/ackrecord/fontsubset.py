"""One HarfBuzz pass instead of two when WeasyPrint subsets a font for the record (the helper only).

WeasyPrint 70 subsets each embedded font twice: first to the glyphs used, keeping their ids
(``RETAIN_GIDS``), then once more to "every glyph id up to the highest used" to drop the empty
glyphs after it. With ``RETAIN_GIDS`` the first pass already ends at the highest glyph used, so the
second pass rewrites the same font: for the record's two CJK faces (about 65,000 glyphs each) it
cost about 30 ms a face, a quarter of a one-recipient record's CPU. :func:`install` replaces
``Font._harfbuzz_subset`` in the render helper with a single pass with the second pass's flags
(no hinting unless asked): the same font bytes (tests/ackrecord/test_render_units.py compares
them). A font with missing glyphs (``.notdef`` outlines) keeps WeasyPrint's own two passes.
"""

from __future__ import annotations

from typing import Any

_installed = False


def subset_once(font: Any, to_unicode: dict[int, str], hinting: bool) -> bytes | None:
    """The font's program reduced to the glyph ids of ``to_unicode`` (ids kept), or None."""
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
    from weasyprint.text.fonts import get_hb_object_data

    hb_subset = ffi.gc(
        harfbuzz_subset.hb_subset_input_create_or_fail(),
        harfbuzz_subset.hb_subset_input_destroy,
    )
    gid_set = harfbuzz_subset.hb_subset_input_glyph_set(hb_subset)
    gids = ffi.new(f"hb_codepoint_t[{len(to_unicode)}]", sorted(to_unicode))
    harfbuzz.hb_set_add_sorted_array(gid_set, gids, len(to_unicode))
    flags = (
        harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS
        | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
        | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
    )
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    harfbuzz_subset.hb_subset_input_set_flags(hb_subset, flags)
    drop_set = harfbuzz_subset.hb_subset_input_set(
        hb_subset, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG
    )
    names = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH")
    drop = tuple(harfbuzz.hb_tag_from_string(name, -1) for name in (*names, b"PCLT", b"SVG "))
    drop_array = ffi.new(f"hb_codepoint_t[{len(drop)}]", drop)
    harfbuzz.hb_set_add_sorted_array(drop_set, drop_array, len(drop))
    face = harfbuzz_subset.hb_subset_or_fail(font.hb_face, hb_subset)
    if face == ffi.NULL:
        return None
    face = ffi.gc(face, harfbuzz.hb_face_destroy)
    return get_hb_object_data(face) or None


def install() -> None:
    """Patch WeasyPrint's Font in this process (call it in the render helper only)."""
    global _installed
    if _installed:
        return
    from weasyprint.pdf import fonts

    original = getattr(fonts.Font, "_harfbuzz_subset", None)
    if original is None:  # another WeasyPrint: keep its own subsetting
        _installed = True
        return

    def _harfbuzz_subset(self: Any, to_unicode: dict[int, str], hinting: bool) -> None:
        if not self.missing:
            content = subset_once(self, to_unicode, hinting)
            if content:
                self.file_content = content
                return
        original(self, to_unicode, hinting)

    fonts.Font._harfbuzz_subset = _harfbuzz_subset
    _installed = True
