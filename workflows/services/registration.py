"""签收 + 登记 (receive and register a notice) and 初审退回 (return it to the sender)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.doc_number import DocNumberError, ParsedDocNumber, parse_doc_number
from circulation.records.errors import Conflict, InvalidInput
from circulation.records.models import (
    AuditAction,
    Handling,
    Notice,
    Organisation,
    RegistrationCounter,
    Secrecy,
    Urgency,
)
from circulation.records.permissions import not_found, require_perm, require_same_organisation
from circulation.records.validation import clean_notice_input, clean_reason
from workflows.machines import NoticeState

CLASSIFIED_LEVELS = {
    "秘密": "secret",
    "机密": "confidential",
    "绝密": "top_secret",
    "secret": "secret",
    "confidential": "confidential",
    "top_secret": "top_secret",
}


@dataclass(frozen=True)
class NoticeInput:
    doc_number: str
    title: str
    issuer: str
    secrecy: str
    urgency: str = Urgency.NORMAL
    handling: str = Handling.READ
    doc_type: str = ""
    addressees: str = ""
    issued_on: date | None = None
    instruction: str = ""
    body: str = ""
    forwards: list[str] = field(default_factory=list)
    due_at: datetime | None = None


@dataclass(frozen=True)
class Registration:
    notice: Notice
    parsed: ParsedDocNumber


def refuse_classified(secrecy: str) -> None:
    """密级: 秘密/机密/绝密 must not be processed on this system."""
    if secrecy.strip() in CLASSIFIED_LEVELS:
        raise InvalidInput(
            "涉密文件（秘密、机密、绝密）不得在本系统登记和传阅，请按涉密文件管理规定线下办理",
            "Classified documents (secret, confidential, top secret) must not be processed on "
            "this system; handle them offline under the rules for classified documents",
            code="classified",
            field="secrecy",
        )
    if secrecy not in Secrecy.values:
        raise InvalidInput(
            "密级只能是“公开”或“内部”",
            "Secrecy must be public or internal",
            code="invalid_choice",
            field="secrecy",
        )


def parse_or_refuse(text: str) -> ParsedDocNumber:
    try:
        return parse_doc_number(text)
    except DocNumberError as exc:
        raise InvalidInput(exc.message, exc.message_en, code=exc.code, field="doc_number") from exc


def _duplicate(organisation: Organisation, parsed: ParsedDocNumber) -> Conflict | None:
    existing = (
        Notice.objects.filter(
            organisation=organisation,
            issuer_code=parsed.issuer_code,
            year=parsed.year,
            serial=parsed.serial,
        )
        .exclude(state=NoticeState.RETURNED)
        .values("id", "doc_number", "registration_year", "registration_seq")
        .first()
    )
    if existing is None:
        return None
    number = None
    if existing["registration_seq"] is not None:
        number = Notice(
            registration_year=existing["registration_year"],
            registration_seq=existing["registration_seq"],
        ).registration_no
    # Named by the 收文登记号 the clerk knows it by (the id only for a notice without one).
    named = number or f"id {existing['id']}"
    return Conflict(
        f"该文件已登记为{named}：{existing['doc_number']}，请勿重复登记",
        f"This document is already registered as {named}: {existing['doc_number']}",
        code="duplicate",
        field="doc_number",
        extra={
            "existing_id": existing["id"],
            "existing_doc_number": existing["doc_number"],
            "existing_registration_no": number,
        },
    )


def _next_registration_seq(organisation: Organisation, year: int) -> int:
    """Gapless: the counter row is locked until the registering transaction ends."""
    RegistrationCounter.objects.get_or_create(organisation=organisation, year=year)
    counter = RegistrationCounter.objects.select_for_update().get(
        organisation=organisation, year=year
    )
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value


def register_notice(actor: Actor, data: NoticeInput) -> Registration:
    """签收 and 登记 in one transaction: two audit events, a gapless registration number."""
    user = actor.user
    require_perm(user, roles.REGISTER_NOTICE)
    organisation = user.organisation
    if organisation is None:
        raise InvalidInput("您的账号未关联机关", "Your account has no organisation", code="no_org")
    refuse_classified(data.secrecy)
    data = clean_notice_input(data)
    parsed = parse_or_refuse(data.doc_number)
    conflict = _duplicate(organisation, parsed)
    if conflict is not None:
        raise conflict
    try:
        with transaction.atomic(durable=True):
            notice = _create_registered(actor, organisation, parsed, data)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same 发文字号.
        conflict = _duplicate(organisation, parsed)
        if conflict is None:
            raise
        raise conflict from None
    return Registration(notice=notice, parsed=parsed)


def _create_registered(
    actor: Actor, organisation: Organisation, parsed: ParsedDocNumber, data: NoticeInput
) -> Notice:
    now = timezone.now()
    notice = Notice(
        organisation=organisation,
        doc_number=parsed.canonical,
        doc_number_original=parsed.original,
        doc_number_corrections=[
            {"code": c.code, "message": c.message, "message_en": c.message_en}
            for c in parsed.corrections
        ],
        issuer_code=parsed.issuer_code,
        year=parsed.year,
        serial=parsed.serial,
        title=data.title.strip(),
        issuer=data.issuer.strip(),
        doc_type=data.doc_type.strip(),
        addressees=data.addressees.strip(),
        issued_on=data.issued_on,
        secrecy=data.secrecy,
        urgency=data.urgency,
        handling=data.handling,
        forwards=list(data.forwards),
        instruction=data.instruction.strip(),
        body=data.body,
        due_at=data.due_at,
        received_at=now,
        received_by=actor.user,
    )
    notice.save(force_insert=True)
    # Lock order (README, Transactions and locks): the new notice row, then the registration
    # counter, then the audit chain head — the head last, so that a registration waiting for the
    # counter never holds up the audited writes of everyone else.
    year = timezone.localtime(now).year
    registration_seq = _next_registration_seq(organisation, year)
    append_event(
        actor,
        AuditAction.NOTICE_RECEIVED,
        notice,
        notice_id=notice.pk,
        to_state=NoticeState.RECEIVED,
        data={"doc_number": notice.doc_number, "original": notice.doc_number_original},
    )
    notice.registration_year = year
    notice.registration_seq = registration_seq
    notice.registered_at = now
    notice.register()
    notice.save()
    append_event(
        actor,
        AuditAction.NOTICE_REGISTERED,
        notice,
        notice_id=notice.pk,
        from_state=NoticeState.RECEIVED,
        to_state=NoticeState.REGISTERED,
        data={
            "registration_no": notice.registration_no,
            "corrections": [c["code"] for c in notice.doc_number_corrections],
        },
    )
    return notice


def return_to_sender(actor: Actor, notice_id: int, reason: str) -> Notice:
    """初审退回: the notice is not ours to handle or its form is wrong."""
    reason = clean_reason(reason, "退回原因")
    require_perm(actor.user, roles.REGISTER_NOTICE)
    with transaction.atomic(durable=True):
        notice = Notice.objects.select_for_update(no_key=True).filter(pk=notice_id).first()
        if notice is None:
            raise not_found()
        require_same_organisation(actor.user, notice)
        if notice.state != NoticeState.REGISTERED:
            raise Conflict(
                "只有已登记、尚未传阅的收文可以退回",
                "Only a registered notice that is not yet circulating can be returned",
                code="invalid_state",
                extra={"state": notice.state},
            )
        notice.return_to_sender()
        notice.closing_reason = reason
        notice.save()
        append_event(
            actor,
            AuditAction.NOTICE_RETURNED,
            notice,
            notice_id=notice.pk,
            from_state=NoticeState.REGISTERED,
            to_state=NoticeState.RETURNED,
            data={"reason": reason},
        )
    return notice
