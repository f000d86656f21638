"""Builders of the acknowledgement record's tests: the sample notice carried through a real
circulation (services only, at fixed moments in Asia/Shanghai), and readers for the generated PDF.
Import them from here (never from a conftest); ``tests/ackrecord/conftest.py`` makes the fixtures
(media under tmp_path, ``circulated``)."""

import io
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pikepdf
import time_machine
from pypdf import PdfReader

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Attachment, Notice
from tests.builders import SAMPLE, Bureau
from tests.helpers import small_pdf
from workflows.services.acknowledging import (
    confirm_acknowledgement,
    open_acknowledgement,
    return_acknowledgement,
)
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RETURN_REASON = "误发：本人已调离工业股"
ATTACHMENT_TEXT = "国务院关于加强数字政府建设的指导意见（全文）\n".encode() * 20


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2022, 10, day, hour, minute, tzinfo=SHANGHAI)


def register_sample(bureau: Bureau, **overrides: Any) -> Notice:
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number"}}
    fields.update(overrides)
    data = NoticeInput(doc_number=SAMPLE["doc_number"], issued_on=date(2022, 9, 29), **fields)
    with time_machine.travel(datetime(2022, 9, 29, 10, 0, tzinfo=SHANGHAI), tick=False):
        return register_notice(Actor(bureau.clerk), data).notice


def attach(bureau: Bureau, notice: Notice) -> list[Attachment]:
    clerk = Actor(bureau.clerk)
    pdf = small_pdf()
    add_attachment(clerk, notice.pk, "附件1 指导意见.pdf", io.BytesIO(pdf), len(pdf))
    text = ATTACHMENT_TEXT
    add_attachment(clerk, notice.pk, "附件2 全文.txt", io.BytesIO(text), len(text))
    return list(notice.attachments.order_by("pk"))


def forward(bureau: Bureau, notice: Notice, units: tuple[str, ...] = ("GYG", "ZXFW")) -> None:
    with time_machine.travel(datetime(2022, 9, 29, 10, 5, tzinfo=SHANGHAI), tick=False):
        forward_notice(
            Actor(bureau.clerk),
            notice.pk,
            ForwardRequest(unit_codes=units, instruction="请认真学习", due_working_days=5),
        )


def confirm(ack: Acknowledgement, minute: int, comment: str = "已认真学习，深刻领会") -> None:
    actor = Actor(ack.person)
    with time_machine.travel(at(10, 9, minute - 2), tick=False):
        open_acknowledgement(actor, ack.pk)
    with time_machine.travel(at(10, 9, minute), tick=False):
        confirm_acknowledgement(actor, ack.pk, comment=comment)


def give_back(ack: Acknowledgement) -> None:
    with time_machine.travel(at(10, 9, 40), tick=False):
        return_acknowledgement(Actor(ack.person), ack.pk, RETURN_REASON)


@dataclass
class Circulated:
    notice: Notice
    attachments: list[Attachment]
    confirmed: dict[str, str]  # display name → "2022-10-10 09:MM"
    returned: str  # display name of the one who returned it


def circulate_sample(bureau: Bureau) -> Circulated:
    """舞工信〔2022〕25号 to 工业股 and 中小企业服务中心: all confirm, gyg_3 returns it (误发)."""
    notice = register_sample(bureau)
    attachments = attach(bureau, notice)
    forward(bureau, notice)
    confirmed: dict[str, str] = {}
    returned = ""
    acks = notice.acknowledgements.select_related("person").order_by("pk")
    for minute, ack in enumerate(acks, start=10):
        if ack.person.username == "gyg_3":
            give_back(ack)
            returned = ack.person.name
            continue
        confirm(ack, minute)
        confirmed[ack.person.name] = f"2022-10-10 09:{minute:02d}"
    notice.refresh_from_db()
    assert notice.state == "completed"
    return Circulated(notice, attachments, confirmed, returned)


# --- reading the PDF back ---------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def squeeze(text: str) -> str:
    """Without white space (a long title may be wrapped or spaced by the extraction)."""
    return "".join(text.split())


def embedded_files(data: bytes) -> dict[str, bytes]:
    reader = PdfReader(io.BytesIO(data))
    return {name: contents[0] for name, contents in reader.attachments.items()}


def fonts_without_file(data: bytes) -> list[str]:
    """Names of fonts in the PDF that carry no embedded font program."""
    reader = PdfReader(io.BytesIO(data))
    bare: list[str] = []
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for font in fonts.get_object().values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants.get_object()[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                bare.append(str(font.get("/BaseFont")))
    return bare


def font_names(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    names: set[str] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        names.update(str(f.get_object().get("/BaseFont")) for f in fonts.get_object().values())
    return names


def pdfa_identification(data: bytes) -> tuple[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        return str(meta.get("pdfaid:part")), str(meta.get("pdfaid:conformance"))
