"""The record's fonts (through fontconfig), their coverage, and visible substitutes.

The record is set in Noto Serif CJK SC (text) and Noto Sans Mono CJK SC (the recipient listing,
times, hashes); two outline fallbacks follow them in every CSS font stack: HanaMinB
(fonts-hanazono: CJK Extensions B–F, e.g. U+20000 𠀀) and Symbola (fonts-symbola: emoji up to
Unicode 9 such as 👍, and symbols). All four are TrueType/OpenType outlines that may be embedded
(``fsType`` 0), so the PDF stays PDF/A; colour bitmap emoji fonts are not used.

Whatever the API accepted must always be recordable: a character that none of the faces covers —
a control character, a private-use or unassigned code point, an emoji newer than the fonts — is
shown as a visible substitute ``[U+0007]`` (:func:`substitute`), and the record lists the
substituted code points with their names. The hashed data and the embedded ``record.json`` keep
the original text. The fonts' character maps are loaded once per process.
"""

import functools
import logging
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from fontTools.ttLib import TTFont

logger = logging.getLogger(__name__)

# The CSS (static/ackrecord/acknowledgement_record.css) uses exactly these faces, in this order.
BODY_FONT = "Noto Serif CJK SC"
MONO_FONT = "Noto Sans Mono CJK SC"
FALLBACK_FONTS = ("HanaMinB", "Symbola")
FONT_PATTERNS = (BODY_FONT, MONO_FONT)
# Rendered without a glyph (line breaks and tabs are layout, not characters to draw).
LAYOUT_CHARACTERS = frozenset("\n\r\t")
# Never drawn from a font even when a font maps them: control characters, surrogates, private use
# (a font's private-use glyph is not what the writer meant) and unassigned code points.
NEVER_DRAWN_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
SUBSTITUTE = "[U+{:04X}]"


class FontUnavailable(RuntimeError):
    """The record's CJK font is not installed (fonts-noto-cjk)."""


@dataclass(frozen=True)
class FontFace:
    pattern: str
    path: str
    index: int


PACKAGES = {BODY_FONT: "fonts-noto-cjk", MONO_FONT: "fonts-noto-cjk"}
PACKAGES.update({"HanaMinB": "fonts-hanazono", "Symbola": "fonts-symbola"})


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
            f"font {family!r} is not installed (Debian package {PACKAGES.get(family, '?')}); "
            f"fontconfig offers {lines[2:3]}"
        )
    return FontFace(pattern, lines[0], int(lines[1] or 0))


@functools.cache
def font_faces() -> tuple[FontFace, ...]:
    """The two main faces (required: without them no record is made)."""
    return tuple(_fc_match(pattern) for pattern in FONT_PATTERNS)


@functools.cache
def fallback_faces() -> tuple[FontFace, ...]:
    """The installed fallback faces; a missing one only means more substitutes (logged)."""
    faces = []
    for pattern in FALLBACK_FONTS:
        try:
            faces.append(_fc_match(pattern))
        except FontUnavailable as exc:
            logger.warning("record fallback font missing, its characters are substituted: %s", exc)
    return tuple(faces)


def _cmap(face: FontFace) -> frozenset[int]:
    font = TTFont(face.path, fontNumber=face.index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def drawable(codepoint: int) -> bool:
    """Not a control, surrogate, private-use or unassigned code point."""
    return unicodedata.category(chr(codepoint)) not in NEVER_DRAWN_CATEGORIES


@functools.cache
def covered_codepoints() -> frozenset[int]:
    """Code points that both font stacks (text and monospaced, each with the fallbacks) draw."""
    fallback: frozenset[int] = frozenset().union(*(_cmap(f) for f in fallback_faces()))
    body, mono = (_cmap(face) | fallback for face in font_faces())
    return frozenset(cp for cp in body & mono if drawable(cp))


def _advances(face: FontFace) -> dict[int, float]:
    """Code point → advance width in ems."""
    font = TTFont(face.path, fontNumber=face.index, lazy=True)
    try:
        hmtx = font["hmtx"]
        upem = float(font["head"].unitsPerEm)
        return {cp: hmtx[glyph][0] / upem for cp, glyph in (font.getBestCmap() or {}).items()}
    finally:
        font.close()


@functools.cache
def _mono_metrics() -> dict[int, float]:
    """Code point → advance width in ems, in the monospaced face."""
    return _advances(font_faces()[FONT_PATTERNS.index(MONO_FONT)])


@functools.cache
def _fallback_metrics() -> dict[int, float]:
    """The same for what only the fallback faces draw (loaded on the first such character)."""
    metrics: dict[int, float] = {}
    for face in reversed(fallback_faces()):  # the first face in the CSS stack wins
        metrics.update(_advances(face))
    return metrics


# Drawn straight from the monospaced face's character map only when a character is one glyph with
# its own advance: no combining marks, no format characters (see circulation/ackrecord/drawn.py).
NOT_DIRECTLY_DRAWN_CATEGORIES = NEVER_DRAWN_CATEGORIES | {"Mn", "Mc", "Me", "Cf", "Zl", "Zp"}


@functools.cache
def mono_face_cmap() -> frozenset[int]:
    """Code points that the monospaced face itself draws as one plain glyph each."""
    return frozenset(
        cp
        for cp in _mono_metrics()
        if unicodedata.category(chr(cp)) not in NOT_DIRECTLY_DRAWN_CATEGORIES
    )


def _columns(char: str) -> float:
    em = _mono_metrics().get(ord(char))
    if em is None:
        em = _fallback_metrics().get(ord(char), 1.0)
    return em * 2


_CHAR_COLUMNS: dict[str, float] = {}


def char_columns(char: str) -> float:
    """Width of one character in the monospaced stack, in half-width columns (cached)."""
    width = _CHAR_COLUMNS.get(char)
    if width is None:
        width = _CHAR_COLUMNS[char] = _columns(char)
    return width


def mono_columns(text: str) -> float:
    """Width of ``text`` in the monospaced stack, in half-width columns (``ch``)."""
    widths = _CHAR_COLUMNS
    try:
        return sum([widths[c] for c in text])
    except KeyError:
        return sum([char_columns(c) for c in text])


CATEGORY_NAMES = {
    "Cc": "控制字符 control character",
    "Cs": "代理码位 surrogate",
    "Co": "专用区字符 private use",
    "Cn": "未分配码位 unassigned",
}


def describe(char: str) -> str:
    category = unicodedata.category(char)
    name = unicodedata.name(char, "") or CATEGORY_NAMES.get(category, f"category {category}")
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


def substitute(text: str, missing: frozenset[str]) -> str:
    """``text`` with each character of ``missing`` shown as ``[U+XXXX]``."""
    if not missing or missing.isdisjoint(text):
        return text
    return "".join(SUBSTITUTE.format(ord(c)) if c in missing else c for c in text)


def is_record_font(family: str) -> bool:
    """A family the record may embed (what pango actually used, checked after the render)."""
    return family in {p.split(":")[0] for p in (*FONT_PATTERNS, *FALLBACK_FONTS)}
