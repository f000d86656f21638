"""Builders of the archive tests: a notice registered, carried through a full circulation
(its acknowledgement record is rendered when archived), and an archive row written directly.
Import them from here (never from a conftest); ``tests/archive/conftest.py`` keeps the
fixtures."""

import io
from datetime import date
from typing import Any

from circulation.records.actors import Actor
from circulation.records.models import Notice, Person
from tests.builders import SAMPLE, Bureau
from tests.helpers import small_pdf
from workflows.services.acknowledging import confirm_acknowledgement, open_acknowledgement
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice


def registered(
    clerk: Person,
    doc_number: str = SAMPLE["doc_number"],
    *,
    issued_on: date | None = date(2022, 9, 29),
    title: str = SAMPLE["title"],
    body: str = "",
    issuer: str = SAMPLE["issuer"],
) -> Notice:
    fields = {
        k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number", "title", "issuer"}
    }
    data = NoticeInput(
        doc_number=doc_number, issued_on=issued_on, title=title, body=body, issuer=issuer, **fields
    )
    return register_notice(Actor(clerk), data).notice


def circulate_to_completion(
    bureau: Bureau, notice: Notice, units: tuple[str, ...] = ("GYG",)
) -> Notice:
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=units))
    for ack in notice.acknowledgements.select_related("person").order_by("pk"):
        actor = Actor(ack.person)
        open_acknowledgement(actor, ack.pk)
        confirm_acknowledgement(actor, ack.pk, comment="已认真学习")
    notice.refresh_from_db()
    assert notice.state == "completed"
    return notice


def completed_notice(
    bureau: Bureau, doc_number: str = SAMPLE["doc_number"], *, attachment: bool = True, **kw: Any
) -> Notice:
    notice = registered(bureau.clerk, doc_number, **kw)
    if attachment:
        data = small_pdf()
        add_attachment(Actor(bureau.clerk), notice.pk, "附件1.pdf", io.BytesIO(data), len(data))
    return circulate_to_completion(bureau, notice)


def direct_record(
    bureau: Bureau,
    doc_number: str,
    title: str,
    *,
    issuer: str = "舞阳县工业和信息化局",
    body: str = "",
    year: int = 2022,
    retention: str = "D30",
    unit: str = "BGS",
    item_no: int | None = None,
) -> Any:
    """An archive row written directly (no PDF): for search and catalogue tests."""
    from django.utils import timezone

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_fields

    notice = registered(bureau.clerk, doc_number, title=title, body=body, issuer=issuer)
    item_no = item_no or ArchivedRecord.objects.filter(year=year, retention=retention).count() + 1
    code = f"Z109-WS·{year}-{retention}-{unit}-{item_no:04d}"
    return ArchivedRecord.objects.create(
        notice=notice,
        organisation=bureau.org,
        archival_code=code,
        fonds_code="Z109",
        year=year,
        retention=retention,
        unit=bureau.units[unit],
        unit_code=unit,
        item_no=item_no,
        doc_number=notice.doc_number,
        title=title,
        issuer=issuer,
        issued_on=date(year, 9, 29),
        secrecy="public",
        file=f"archive/Z109/{year}/{code}.pdf",
        page_count=1,
        record_sha256="0" * 64,
        record_size=1,
        rendition_sha256="0" * 64,
        archived_at=timezone.now(),
        archived_by=bureau.archivist,
        row_sha256="0" * 64,
        **search_fields(title=title, doc_number=notice.doc_number, issuer=issuer, body=body),
    )
