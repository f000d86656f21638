"""The record's fonts (Noto Serif CJK SC and Noto Sans Mono CJK SC, through fontconfig), coverage.

A character that the fonts lack would otherwise come out as a blank box or a fallback glyph from
another font: the record must show exactly what was recorded, so that is an error that names the
characters (:class:`MissingGlyphs`). The fonts' character maps are loaded once per process.
"""

import functools
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from fontTools.ttLib import TTFont

# The CSS (static/ackrecord/acknowledgement_record.css) uses exactly these two faces.
BODY_FONT = "Noto Serif CJK SC"
MONO_FONT = "Noto Sans Mono CJK SC"
FONT_PATTERNS = (BODY_FONT, MONO_FONT)
# Rendered without a glyph (line breaks and tabs are layout, not characters to draw).
LAYOUT_CHARACTERS = frozenset("\n\r\t")


class FontUnavailable(RuntimeError):
    """The record's CJK font is not installed (fonts-noto-cjk)."""


@dataclass(frozen=True)
class FontFace:
    pattern: str
    path: str
    index: int


def _fc_match(pattern: str) -> FontFace:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontUnavailable("fc-match (fontconfig) is not installed")
    result = subprocess.run(  # noqa: S603 - fixed executable and arguments
        [fc_match, "--format=%{file}\n%{index}\n%{family}", pattern],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    lines = result.stdout.splitlines()
    family = pattern.split(":")[0]
    if result.returncode != 0 or len(lines) < 3 or family not in lines[2].split(","):
        raise FontUnavailable(
            f"font {family!r} is not installed (Debian package fonts-noto-cjk); "
            f"fontconfig offers {lines[2:3]}"
        )
    return FontFace(pattern, lines[0], int(lines[1] or 0))


@functools.cache
def font_faces() -> tuple[FontFace, ...]:
    return tuple(_fc_match(pattern) for pattern in FONT_PATTERNS)


@functools.cache
def covered_codepoints() -> frozenset[int]:
    """Code points that every face of the record has a glyph for."""
    covered: frozenset[int] | None = None
    for face in font_faces():
        font = TTFont(face.path, fontNumber=face.index, lazy=True)
        try:
            cmap = frozenset(font.getBestCmap() or {})
        finally:
            font.close()
        covered = cmap if covered is None else covered & cmap
    return covered or frozenset()


@functools.cache
def _mono_metrics() -> tuple[dict[int, int], int]:
    """(code point → advance width, units per em) of the monospaced face."""
    face = font_faces()[FONT_PATTERNS.index(MONO_FONT)]
    font = TTFont(face.path, fontNumber=face.index, lazy=True)
    try:
        hmtx = font["hmtx"]
        advances = {cp: hmtx[glyph][0] for cp, glyph in (font.getBestCmap() or {}).items()}
        return advances, int(font["head"].unitsPerEm)
    finally:
        font.close()


def mono_columns(text: str) -> float:
    """Width of ``text`` in the monospaced face, in half-width columns (``ch``)."""
    advances, upem = _mono_metrics()
    half = upem / 2
    return sum(advances.get(ord(c), upem) for c in text) / half


def describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed")
    return f"U+{ord(char):04X} {name}"


class MissingGlyphs(ValueError):
    """Characters in the record that its fonts cannot show."""

    def __init__(self, characters: Iterable[str]) -> None:
        self.characters = sorted(set(characters))
        listed = ", ".join(describe(c) for c in self.characters[:20])
        more = f" (+{len(self.characters) - 20} more)" if len(self.characters) > 20 else ""
        super().__init__(f"the record's font has no glyph for: {listed}{more}")

    def __reduce__(self) -> tuple[type["MissingGlyphs"], tuple[list[str]]]:
        return (MissingGlyphs, (self.characters,))

    @property
    def codepoints(self) -> list[str]:
        return [f"U+{ord(c):04X}" for c in self.characters]


def missing_characters(texts: Iterable[str]) -> list[str]:
    """The distinct characters of ``texts`` that the fonts lack, in code point order."""
    used: set[str] = set()
    for text in texts:
        used.update(text)
    covered = covered_codepoints()
    return sorted(c for c in used - LAYOUT_CHARACTERS if ord(c) not in covered)


def check_coverage(texts: Iterable[str]) -> None:
    """Raise :class:`MissingGlyphs` when any character of ``texts`` has no glyph."""
    missing = missing_characters(texts)
    if missing:
        raise MissingGlyphs(missing)


def is_record_font(family: str) -> bool:
    """A family the record may embed (what pango actually used, checked after the render)."""
    return family in {pattern.split(":")[0] for pattern in FONT_PATTERNS}
