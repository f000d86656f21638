"""The 处理笺 (阅办单) of a 批办 notice: a PDF/A-3b form beside the 阅知确认单.

The bordered table form that offices print and file with the document: the notice's metadata,
the 拟办意见, each leader's 批示, the 承办 unit's 办理结果 and the 协办 parts, the 传阅 readers
and their confirmations, the 答复 — one A4 page where it fits, further pages when it does not
(each text may have 2,000 characters: the boxes then flow on, and every page's header names the
文号 and every footer the page number).

It is made the same way as the record (:mod:`circulation.ackrecord.render`): the Django template
``records/handling_sheet.html`` (autoescaped: user text is never markup) and
``static/ackrecord/handling_sheet.css``; characters the fonts cannot draw shown as ``[U+XXXX]``
and listed; resources only through the safe URL fetcher; rendered in the sandboxed helper
process with its time and memory limits; the sheet's data embedded as ``handling.json``
(PDF/A-3 associated file, ``AFRelationship`` Data) and its SHA-256 printed at the foot.

Before archiving it is rendered when asked for and not stored: a one-page sheet costs the warm
helper about 0.15 s of CPU (0.35 s wall under a load average of 7 on 2 cores; the first render
of a process 0.2 s more for the warm-up); its data is small, read in 13 queries in one short
transaction with the notice row locked. The same data gives the same content (only the 生成时间
differs), and an archived notice's data no longer changes. Archiving a 批办 notice renders, stamps
and signs its sheet beside the record and seals it write-once
(:mod:`workflows.services.archiving`); the endpoint then serves that sealed file.

Who may read it: the same people as the whole 阅知确认单 (:mod:`circulation.ackrecord.access`:
clerks, archivists, administrators, the organisation's leaders); everyone else gets 404. A
阅知 notice has no 处理笺: 404 as well, saying so.
"""

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from circulation.ackrecord.access import record_notice
from circulation.ackrecord.data import canonical_json, content_hash
from circulation.ackrecord.fonts import FontUnavailable, MissingGlyphs, describe, substitute
from circulation.ackrecord.handling_sheet_data import SheetData, collect_sheet_data
from circulation.ackrecord.render import EmbeddedFile, render_html, substituted_data, warm_up
from circulation.ackrecord.renditions import RecordUnavailable
from circulation.ackrecord.sandbox import SandboxError
from circulation.records.errors import Conflict, DomainError, NotVisible
from circulation.records.models import Handling, Notice, Person

logger = logging.getLogger(__name__)

TEMPLATE = "records/handling_sheet.html"
SHEET_JSON_NAME = "handling.json"


@dataclass(frozen=True)
class HandlingSheet:
    """A rendered 处理笺: the PDF and what the response says about it."""

    pdf: bytes
    page_count: int
    content_hash: str  # SHA-256 of the data's canonical JSON (printed on the sheet)
    sha256: str  # of the PDF file
    generated_at: datetime
    doc_number: str


def sheet_json(data: SheetData, *, generated_at: datetime, digest: str) -> bytes:
    """The machine-readable sheet: the hashed data plus when this file was made."""
    envelope = {
        "sheet": {
            "generated_at": timezone.localtime(generated_at).isoformat(timespec="seconds"),
            "content_hash": digest,
            "content_hash_of": "canonical JSON of 'handling_sheet' (sorted keys, no spaces, UTF-8)",
        },
        "handling_sheet": data,
    }
    return (canonical_json(envelope) + "\n").encode("utf-8")


def build_sheet_html(
    data: SheetData,
    *,
    generated_at: datetime,
    digest: str,
    extra_missing: Iterable[str] = (),
) -> str:
    """The sheet's HTML (what the helper process renders; any browser can print it too)."""
    shown, missing = substituted_data(data, extra_missing)
    context: dict[str, Any] = {
        **shown,
        "generated_at": timezone.localtime(generated_at).isoformat(timespec="seconds"),
        "content_hash": digest,
        "substitutes": [
            {"shown": substitute(c, frozenset(c)), "name": describe(c)} for c in missing
        ],
    }
    return render_to_string(TEMPLATE, context)


def render_sheet(
    data: SheetData,
    *,
    generated_at: datetime,
    digest: str,
    timeout: float | None = None,
) -> tuple[bytes, int]:
    """The sheet's PDF/A-3b bytes and page count, rendered in the sandbox's helper process."""
    warm_up()
    files = [
        EmbeddedFile(
            name=SHEET_JSON_NAME,
            content=sheet_json(data, generated_at=generated_at, digest=digest),
            description="处理笺机读数据 (machine-readable handling sheet)",
            relationship="Data",
            modified=generated_at,
        )
    ]
    slipped: list[str] = []
    for _attempt in range(2):
        html = build_sheet_html(
            data, generated_at=generated_at, digest=digest, extra_missing=slipped
        )
        try:
            rendered = render_html(html, files, timeout=timeout)
        except MissingGlyphs as exc:
            if slipped:  # pango drew these with another font although the maps said otherwise
                raise
            logger.warning("handling sheet: substituting after the render: %s", exc)
            slipped = exc.characters
            continue
        return rendered.pdf, rendered.page_count
    raise AssertionError("unreachable")


def sheet_notice(user: Person, notice_id: int) -> Notice:
    """The 批办 notice whose 处理笺 ``user`` may read; ``NotVisible`` (404) otherwise."""
    notice = record_notice(user, notice_id)
    if notice.handling != Handling.ACTION:
        raise NotVisible(
            "该收文为阅知件，没有处理笺（处理笺只用于批办件）",
            "This notice is for reading (阅知), not for action (批办): it has no handling sheet",
            code="not_action",
            field="id",
        )
    return notice


def render_failure(exc: Exception) -> DomainError:
    if isinstance(exc, MissingGlyphs):
        return Conflict(
            "处理笺中有字体无法显示的字符：" + "、".join(exc.codepoints) + "。请修改相关内容后重试",
            "The handling sheet contains characters its font cannot show: "
            + ", ".join(exc.codepoints),
            code="missing_glyphs",
            extra={"characters": exc.codepoints},
        )
    return RecordUnavailable(
        "处理笺暂时无法生成，请稍后重试",
        f"The handling sheet could not be rendered: {exc}",
        code="render_failed",
    )


def current_sheet(notice: Notice, *, timeout: float | None = None) -> HandlingSheet:
    """The notice's 处理笺 rendered from its data as it stands now (read with the notice row
    locked, rendered outside any transaction). Raises ``Conflict`` (409, ``missing_glyphs``) or
    ``RecordUnavailable`` (503, ``render_failed``) when it cannot be rendered."""
    with transaction.atomic(durable=True):
        data = collect_sheet_data(notice.pk, lock=True)
    digest = content_hash(data)
    generated_at = timezone.now()
    try:
        pdf, pages = render_sheet(data, generated_at=generated_at, digest=digest, timeout=timeout)
    except (MissingGlyphs, SandboxError, FontUnavailable) as exc:
        logger.warning("handling sheet of notice %s not rendered: %s", notice.pk, exc)
        raise render_failure(exc) from exc
    return HandlingSheet(
        pdf=pdf,
        page_count=pages,
        content_hash=digest,
        sha256=hashlib.sha256(pdf).hexdigest(),
        generated_at=generated_at,
        doc_number=notice.doc_number,
    )


def content_disposition(doc_number: str) -> str:
    """``inline`` with the 文号 as file name (RFC 6266/5987: an ASCII fallback and UTF-8)."""
    name = f"{doc_number} 处理笺.pdf"
    ascii_part = re.sub(r"[^A-Za-z0-9]+", "-", doc_number).strip("-")
    fallback = f"handling-sheet-{ascii_part}.pdf" if ascii_part else "handling-sheet.pdf"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
