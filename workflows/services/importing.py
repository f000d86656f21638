"""Register notices from files (``manage.py import_notice``, the web page's 从文件导入).

:func:`register_with_file` is the one way a file becomes a notice: the core's
:func:`~workflows.services.registration.register_notice` (its rules, its 409 for a duplicate),
then the file as the notice's first attachment through
:func:`~workflows.services.attachments.add_attachment`. :func:`import_file` plans or registers
one file and answers an :class:`Outcome` (a row of the command's table); it never raises for a
bad file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from circulation.intake.errors import IntakeError
from circulation.intake.extraction import Extraction, extract_file
from circulation.intake.layout import UnitRef
from circulation.records.actors import Actor
from circulation.records.doc_number import DocNumberError, parse_doc_number
from circulation.records.errors import DomainError
from circulation.records.models import Attachment, Organisation
from circulation.records.validation import clean_notice_input
from workflows.services import registration
from workflows.services.attachments import add_attachment

EXTENSIONS = frozenset({".txt", ".docx", ".pdf", ".ofd"})
WOULD_REGISTER, REGISTERED, DUPLICATE, INCOMPLETE, FAILED = (
    "would_register",
    "registered",
    "duplicate",
    "incomplete",
    "failed",
)


@dataclass
class Outcome:
    path: Path
    status: str
    extraction: Extraction | None = None
    reason: str = ""
    reason_en: str = ""
    notice_id: int | None = None
    registration_no: str | None = None
    secrecy_from_document: bool = False

    def value(self, key: str) -> Any:
        return None if self.extraction is None else self.extraction.value(key)


def collect_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files named, and the TXT/DOCX/PDF/OFD files under the folders named (sorted)."""
    for item in paths:
        path = Path(item)
        if path.is_dir():
            yield from sorted(
                found
                for found in path.rglob("*")
                if found.is_file()
                and found.suffix.lower() in EXTENSIONS
                and not any(part.startswith(".") for part in found.relative_to(path).parts)
            )
        else:
            yield path


def register_with_file(
    actor: Actor, data: registration.NoticeInput, name: str, content: bytes
) -> tuple[registration.Registration, Attachment]:
    """Register, then keep the file as the notice's first attachment (two services, in order)."""
    result = registration.register_notice(actor, data)
    attachment = add_attachment(actor, result.notice.pk, name, io.BytesIO(content), len(content))
    return result, attachment


def notice_input(
    extraction: Extraction, *, default_secrecy: str, handling: str
) -> registration.NoticeInput:
    data = extraction.notice_data()
    return registration.NoticeInput(
        doc_number=data.get("doc_number", ""),
        title=data.get("title", ""),
        issuer=data.get("issuer", ""),
        secrecy=data.get("secrecy", default_secrecy),
        urgency=data.get("urgency", "normal"),
        handling=handling,
        doc_type=data.get("doc_type", ""),
        addressees=data.get("addressees", ""),
        issued_on=data.get("issued_on"),
        body=data.get("body", ""),
        forwards=data.get("forwards", []),
    )


def import_file(
    path: Path,
    *,
    actor: Actor | None,
    organisation: Organisation | None,
    units: list[UnitRef],
    max_bytes: int,
    commit: bool,
    default_secrecy: str = "internal",
    handling: str = "read",
    seen: dict[str, Path] | None = None,
) -> Outcome:
    """Plan (``commit=False``) or register one file; a bad file is a ``failed`` outcome."""
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refused without reading the file
            raise IntakeError(
                "too_large",
                f"文件过大（{size:,} 字节），附件不能超过 {max_bytes:,} 字节",
                f"The file is too large ({size:,} bytes; attachments at most {max_bytes:,})",
            )
        content = path.read_bytes()
        extraction = extract_file(path.name, content, max_bytes=max_bytes, units=units)
    except IntakeError as error:
        return Outcome(path, FAILED, reason=error.message, reason_en=error.message_en)
    except OSError as error:
        return Outcome(path, FAILED, reason=f"无法读取文件：{error}", reason_en=str(error))
    outcome = Outcome(path, WOULD_REGISTER, extraction)
    outcome.secrecy_from_document = extraction.value("secrecy") is not None
    if not extraction.complete:
        names = {"doc_number": "发文字号", "title": "标题", "issuer": "发文机关"}
        missing = "、".join(names[m["field"]] for m in extraction.missing)
        outcome.status = FAILED if commit else INCOMPLETE
        outcome.reason = f"缺少：{missing}；请在登记页面“从文件导入”补全后登记"
        outcome.reason_en = "Missing: " + ", ".join(m["field"] for m in extraction.missing)
        return outcome
    data = notice_input(extraction, default_secrecy=default_secrecy, handling=handling)
    if not commit or actor is None:
        _check_without_writing(outcome, organisation, data, seen if seen is not None else {})
        return outcome
    try:
        result, _attachment = register_with_file(actor, data, path.name, content)
    except DomainError as error:
        outcome.status = DUPLICATE if error.code == "duplicate" else FAILED
        outcome.reason, outcome.reason_en = error.message, error.message_en
        outcome.notice_id = error.extra.get("existing_id")
        outcome.registration_no = error.extra.get("existing_registration_no")
        return outcome
    outcome.status = REGISTERED
    outcome.notice_id = result.notice.pk
    outcome.registration_no = result.notice.registration_no
    return outcome


def _check_without_writing(
    outcome: Outcome,
    organisation: Organisation | None,
    data: registration.NoticeInput,
    seen: dict[str, Path],
) -> None:
    """What registering would say, read-only: 密级, the 发文字号, a duplicate (registered, or
    earlier in the same run: ``seen`` maps the canonical numbers planned so far to their file)."""
    try:
        registration.refuse_classified(data.secrecy)
        clean_notice_input(data)
        parsed = parse_doc_number(data.doc_number)
    except DomainError as error:
        outcome.status, outcome.reason, outcome.reason_en = FAILED, error.message, error.message_en
        return
    except DocNumberError as error:
        outcome.status, outcome.reason, outcome.reason_en = FAILED, error.message, error.message_en
        return
    earlier = seen.setdefault(parsed.canonical, outcome.path)
    if earlier != outcome.path:
        outcome.status = DUPLICATE
        outcome.reason = f"与本批次的 {earlier.name} 是同一文件（{parsed.canonical}）"
        outcome.reason_en = f"Same document as {earlier.name} in this run ({parsed.canonical})"
        return
    conflict = None if organisation is None else registration._duplicate(organisation, parsed)
    if conflict is not None:
        outcome.status = DUPLICATE
        outcome.reason, outcome.reason_en = conflict.message, conflict.message_en
        outcome.notice_id = conflict.extra["existing_id"]
        outcome.registration_no = conflict.extra["existing_registration_no"]
