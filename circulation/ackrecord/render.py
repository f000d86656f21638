"""Render a record's data to a PDF/A-3b file with WeasyPrint, safely.

- HTML from the Django template ``records/acknowledgement_record.html`` (autoescaped: user text
  is never markup) and ``static/ackrecord/acknowledgement_record.css``.
- Every character of the record's text is checked against the fonts first: one that no face
  draws is shown as a visible substitute ``[U+XXXX]`` and listed, with its name, in the record
  (:func:`substituted_data`); the hashed data and ``record.json`` keep the original. After the
  render, every font WeasyPrint embedded must be one of the record's fonts with no missing glyph;
  a character that slipped through is substituted too and the record rendered once more.
- The recipient listing drawn straight onto the page (:mod:`circulation.ackrecord.drawn`): each
  recipient's lines are an image-like object handed to WeasyPrint in its image cache, so no URL of
  theirs is ever fetched.
- Resources only through :class:`~circulation.ackrecord.fetcher.RecordURLFetcher`.
- The render runs in a helper process with a time and memory limit
  (:mod:`circulation.ackrecord.sandbox`).
- The record's JSON (``record.json``) and the original attachments are embedded as PDF/A-3
  associated files (``AFRelationship`` Data / Source).
"""

import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import timezone

from circulation.ackrecord import conf
from circulation.ackrecord.data import RecordData, canonical_json, user_texts
from circulation.ackrecord.drawn import DrawnLines, NotDrawable, drawn_records
from circulation.ackrecord.fetcher import static_roots
from circulation.ackrecord.fonts import (
    MissingGlyphs,
    covered_codepoints,
    describe,
    missing_characters,
    substitute,
)
from circulation.ackrecord.listing import recipient_listing
from circulation.ackrecord.sandbox import FORK_LOCK, ChildStats, run_limited

logger = logging.getLogger(__name__)

TEMPLATE = "records/acknowledgement_record.html"
STATIC_DIR = Path(__file__).resolve().parent / "static"
PDF_VARIANT = "pdf/a-3b"
RECORD_JSON_NAME = "record.json"


@dataclass(frozen=True)
class EmbeddedFile:
    """A file embedded in the PDF as an associated file."""

    name: str
    content: bytes
    description: str = ""
    relationship: str = "Source"
    modified: datetime | None = None


@dataclass(frozen=True)
class RenderedRecord:
    pdf: bytes
    page_count: int
    html: str
    stats: ChildStats | None = None
    refused_urls: list[str] = field(default_factory=list)


def verify_url(rendition_id: uuid.UUID | str) -> str:
    return f"{conf.site_url()}/records/{rendition_id}/verify/"


def qr_data_uri(url: str) -> str:
    """A 1-bit PNG (an image in the PDF, drawn without smoothing: ``image-rendering``)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=0)


def record_json(
    data: RecordData, *, rendition_id: uuid.UUID | str, generated_at: datetime, content_hash: str
) -> bytes:
    """The machine-readable record: the hashed data plus this rendition's identity."""
    envelope = {
        "rendition": {
            "id": str(rendition_id),
            "generated_at": timezone.localtime(generated_at).isoformat(timespec="seconds"),
            "verify_url": verify_url(rendition_id),
            "content_hash": content_hash,
            "content_hash_of": "canonical JSON of 'record' (sorted keys, no spaces, UTF-8)",
        },
        "record": data,
    }
    return (canonical_json(envelope) + "\n").encode("utf-8")


def _substituted(value: Any, missing: frozenset[str]) -> Any:
    if isinstance(value, str):
        return substitute(value, missing)
    if isinstance(value, dict):
        return {key: _substituted(item, missing) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, missing) for item in value]
    return value


def substituted_data(data: RecordData, extra: Iterable[str] = ()) -> tuple[RecordData, list[str]]:
    """The data as the record shows it: every character that the fonts cannot draw (and those of
    ``extra``) replaced by ``[U+XXXX]``; and those characters, in code point order."""
    missing = sorted(set(missing_characters(user_texts(data))) | set(extra))
    if not missing:
        return data, []
    return _substituted(data, frozenset(missing)), missing


def build_page(
    data: RecordData,
    *,
    rendition_id: uuid.UUID | str,
    generated_at: datetime,
    content_hash: str,
    extra_missing: Iterable[str] = (),
    drawn: bool = True,
) -> tuple[str, dict[str, DrawnLines]]:
    """The record's HTML and, with ``drawn``, the listing's lines to draw (the image cache)."""
    url = verify_url(rendition_id)
    shown, missing = substituted_data(data, extra_missing)
    listing = recipient_listing(shown["units"])
    cache: dict[str, DrawnLines] = {}
    if drawn:
        listing, cache = drawn_records(listing, listing["columns"])
    context: dict[str, Any] = {
        **shown,
        "rendition_id": str(rendition_id),
        "generated_at": timezone.localtime(generated_at).isoformat(timespec="seconds"),
        "content_hash": content_hash,
        "verify_url": url,
        "qr_data_uri": qr_data_uri(url),
        "listing": listing,
        "substitutes": [
            {"shown": substitute(c, frozenset(c)), "name": describe(c)} for c in missing
        ],
    }
    return render_to_string(TEMPLATE, context), cache


def build_html(
    data: RecordData,
    *,
    rendition_id: uuid.UUID | str,
    generated_at: datetime,
    content_hash: str,
    extra_missing: Iterable[str] = (),
) -> str:
    """The record as self-contained HTML, the listing as text (what any browser can print)."""
    html, _ = build_page(
        data,
        rendition_id=rendition_id,
        generated_at=generated_at,
        content_hash=content_hash,
        extra_missing=extra_missing,
        drawn=False,
    )
    return html


def embedded_name(index: int, extension: str) -> str:
    """``attachment-01.pdf``: ASCII, because WeasyPrint writes the name into both the legacy
    ``/F`` (PDFDocEncoding) and ``/UF`` keys; the original name goes into the description."""
    safe = "".join(c for c in extension.lower() if c.isascii() and c.isalnum())[:10] or "bin"
    return f"attachment-{index:02d}.{safe}"


def _render_in_helper(
    html: str,
    base_url: str,
    roots: list[Path],
    files: list[EmbeddedFile],
    drawn: dict[str, DrawnLines] | None = None,
) -> tuple[bytes, int, list[str]]:
    """Runs in the sandbox's helper process: HTML → PDF, then the embedded-font check."""
    from weasyprint import HTML, Attachment

    from circulation.ackrecord import drawn as drawn_listing
    from circulation.ackrecord import flate, fontsubset, pagestyles
    from circulation.ackrecord.fetcher import RecordURLFetcher
    from circulation.ackrecord.fonts import is_record_font

    fontsubset.install()  # one HarfBuzz pass per font instead of two (same bytes)
    drawn_listing.install()  # a drawn run of recipients split at page breaks
    flate.install()  # zlib level 6, not 9 (about half the compression time, +1.6 % size)
    pagestyles.install()  # pages selected by the same @page rules share computed styles
    fetcher = RecordURLFetcher(roots)
    # The drawn listing's "images" are found in the cache: their URLs never reach the fetcher.
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        cache=dict(drawn or {})
    )
    attachments = [
        Attachment(
            string=f.content,
            name=f.name,
            description=f.description,
            relationship=f.relationship,
            created=(f.modified or datetime.now(UTC)).astimezone(UTC),
            modified=(f.modified or datetime.now(UTC)).astimezone(UTC),
            url_fetcher=fetcher,
        )
        for f in files
    ]
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments)
    missing: set[str] = set()
    for font in document.fonts.values():
        missing.update(chr(codepoint) for codepoint in font.missing)
        if not is_record_font(font.family):  # pango fell back to another font for these
            missing.update("".join(font.to_unicode.values()) or "?")
    if missing:
        raise MissingGlyphs(missing)
    return pdf, len(document.pages), fetcher.refused


def render_html(
    html: str,
    files: list[EmbeddedFile] | None = None,
    *,
    timeout: float | None = None,
    memory_bytes: int | None = None,
    drawn: dict[str, DrawnLines] | None = None,
) -> RenderedRecord:
    """HTML (from our template) → PDF/A-3b bytes, in the sandbox's helper process."""
    base_url = STATIC_DIR.as_uri() + "/"
    roots = static_roots()
    embedded = list(files or [])
    (pdf, pages, refused), stats = run_limited(
        _render_in_helper,
        html,
        base_url,
        roots,
        embedded,
        drawn,
        timeout=conf.render_timeout() if timeout is None else timeout,
        memory_bytes=conf.render_memory_bytes() if memory_bytes is None else memory_bytes,
    )
    return RenderedRecord(pdf=pdf, page_count=pages, html=html, stats=stats, refused_urls=refused)


def render_record(
    data: RecordData,
    *,
    rendition_id: uuid.UUID | str,
    generated_at: datetime,
    content_hash: str,
    attachments: list[EmbeddedFile] | None = None,
    timeout: float | None = None,
    memory_bytes: int | None = None,
) -> RenderedRecord:
    """The record's PDF: substitutes, HTML, embedded JSON + attachments, sandboxed render."""
    warm_up()
    files = [
        EmbeddedFile(
            name=RECORD_JSON_NAME,
            content=record_json(
                data,
                rendition_id=rendition_id,
                generated_at=generated_at,
                content_hash=content_hash,
            ),
            description="阅知确认单机读数据 (machine-readable record)",
            relationship="Data",
            modified=generated_at,
        ),
        *(attachments or []),
    ]
    slipped: list[str] = []
    drawn = True
    for _attempt in range(3):
        html, cache = build_page(
            data,
            rendition_id=rendition_id,
            generated_at=generated_at,
            content_hash=content_hash,
            extra_missing=slipped,
            drawn=drawn,
        )
        try:
            return render_html(html, files, timeout=timeout, memory_bytes=memory_bytes, drawn=cache)
        except MissingGlyphs as exc:
            # pango drew these with another font (or not at all) although the character maps
            # said otherwise: substitute them as well, once.
            if slipped:
                raise
            logger.warning("record %s: substituting after the render: %s", rendition_id, exc)
            slipped = exc.characters
        except NotDrawable as exc:
            # Pango shapes a listing character otherwise than the direct drawing assumes:
            # the whole listing as text then (slower, same content).
            if not drawn:
                raise
            logger.warning("record %s: listing laid out as text: %s", rendition_id, exc)
            drawn = False
    raise AssertionError("unreachable")


_warm = threading.Event()


def warm_up() -> None:
    """Load the fonts' character maps and fontconfig once in this (parent) process.

    The render helper forked afterwards starts warm. This renders only a fixed, trusted snippet
    in-process, holding the fork lock so that no helper is forked mid-way.
    """
    if _warm.is_set():
        return
    covered_codepoints()
    with FORK_LOCK:
        if _warm.is_set():
            return
        try:
            from weasyprint import HTML

            HTML(
                string='<html lang="zh-hans"><p style="font-family:\'Noto Serif CJK SC\'">'
                "预热 0</p><p style=\"font-family:'Noto Sans Mono CJK SC'\">预热 0</p></html>"
            ).write_pdf()
        except Exception:  # a failed warm-up only costs speed; the real render reports errors
            logger.exception("record renderer warm-up failed")
        _warm.set()
