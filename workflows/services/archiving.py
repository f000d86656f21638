"""归档: archive a completed notice — 四性 checks, 档号 with a gapless 件号, the 归档章, the sealed
write-once PDF, the audit event — and record downloads. ``verify_record`` re-checks fixity.

Lock order as everywhere: the notice row, then the 件号 counter, then C's rendition row (frozen),
then the audit chain head. The record is rendered (if its data changed) before the transaction,
because rendering may take seconds and runs in a child process.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from circulation.ackrecord.data import content_hash
from circulation.ackrecord.fonts import FontUnavailable, MissingGlyphs
from circulation.ackrecord.handling_sheet import render_failure, render_sheet
from circulation.ackrecord.handling_sheet_data import collect_sheet_data
from circulation.ackrecord.sandbox import SandboxError
from circulation.archive import checking
from circulation.archive import rendition as renditions
from circulation.archive.checkpoint import anchor_after_commit
from circulation.archive.checks import (
    RECORD_JSON,
    check_authenticity,
    check_integrity,
    check_item_sequence,
    check_security,
    check_usability,
)
from circulation.archive.codes import ArchivalCode, ArchivalCodeError, parse_retention
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.archive.pdfinspect import PdfFacts, inspect_pdf
from circulation.archive.report import ChecksReport
from circulation.archive.seal import Seal, SealConfigurationError, load_seal
from circulation.archive.sealing import bytes_sha256, row_hash, sealed_path, sealed_sheet_path
from circulation.archive.search import search_fields
from circulation.archive.signing import (
    SignatureFacts,
    SigningFailed,
    TimestampUnavailable,
    seal_mark,
    sign_record,
)
from circulation.archive.sm3 import sm3_hex
from circulation.archive.stamp import StampData, apply_stamp
from circulation.archive.storage import SealedFileExists, sealed_storage
from circulation.archive.verification import VerifyResult, verify_record
from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, DomainError, InvalidInput
from circulation.records.models import (
    Attachment,
    AuditAction,
    Handling,
    Notice,
    Organisation,
    Unit,
)
from circulation.records.permissions import not_found, require_perm, require_same_organisation
from workflows.machines import NoticeState

__all__ = [
    "ArchiveChecksFailed",
    "SealUnavailable",
    "VerifyResult",
    "archive_notice",
    "check_record",
    "preview_archival_code",
    "verify_record",
]


class ArchiveChecksFailed(Conflict):
    """409: a 四性 check failed; nothing was written. ``extra['checks']`` is the full report."""


class SealUnavailable(DomainError):
    """503: no seal to sign with, or signing failed; nothing was written."""

    status = 503


def _state_conflict(notice: Notice) -> Conflict:
    if notice.state == NoticeState.ARCHIVED:
        code = ArchivedRecord.objects.filter(notice=notice).values_list("archival_code", flat=True)
        existing = code.first()
        return Conflict(
            f"该收文已归档，档号 {existing}",
            f"This notice is already archived as {existing}",
            code="already_archived",
            extra={"archival_code": existing},
        )
    return Conflict(
        f"收文当前状态为“{notice.get_state_display()}”，只有已办结的收文可以归档",
        f"Only a completed notice can be archived (state: {notice.state})",
        code="invalid_state",
        extra={"state": notice.state},
    )


def _filing_unit(organisation: Organisation, unit_code: str | None) -> Unit:
    if unit_code:
        unit = Unit.objects.filter(
            organisation=organisation, code=unit_code.strip().upper()
        ).first()
        if unit is None:
            raise InvalidInput(
                f"机构（问题）代码“{unit_code}”不存在",
                f"Unknown unit {unit_code!r}",
                code="unknown_unit",
                field="unit",
            )
        return unit
    if organisation.filing_unit is None:
        raise InvalidInput(
            "未设置默认归档机构，请指定机构（问题）代码",
            "No default filing unit is set; give the unit code",
            code="required",
            field="unit",
        )
    return organisation.filing_unit


def _next_item_no(fonds: str, year: int, retention: str, unit_code: str) -> int:
    """Locks the group's counter until the transaction ends: gapless even under concurrency."""
    key: dict[str, Any] = {
        "fonds_code": fonds,
        "year": year,
        "retention": retention,
        "unit_code": unit_code,
    }
    ItemCounter.objects.get_or_create(**key)
    counter = ItemCounter.objects.select_for_update().get(**key)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value


def _seal_for_archiving() -> Seal | None:
    """The seal that signs, or None when archiving unsigned is allowed (``SEAL_REQUIRED`` off)."""
    try:
        seal = load_seal()
    except SealConfigurationError as exc:
        raise SealUnavailable(
            f"电子印章证书配置有误，未归档：{exc}",
            f"The seal certificate is misconfigured; nothing was archived: {exc}",
            code="seal_unavailable",
        ) from exc
    if seal is None and settings.SEAL_REQUIRED:
        raise SealUnavailable(
            "未配置电子印章证书（SEAL_PKCS12_PATH），不能归档",
            "No seal certificate is configured (SEAL_PKCS12_PATH): records cannot be archived",
            code="seal_unavailable",
        )
    return seal


def _sign(report: ChecksReport, stamped: bytes, seal: Seal) -> tuple[bytes, SignatureFacts]:
    """Sign the stamped record; a time-stamp authority that does not answer leaves the record
    signed without a time-stamp (a line for the archivist to review), anything else refuses."""
    try:
        signed, facts = sign_record(stamped, seal)
    except TimestampUnavailable as exc:
        report.add(
            "authenticity",
            "timestamp",
            False,
            f"时间戳服务不可用，已签名但无时间戳：{exc}",
            f"The time-stamping authority did not answer; signed without a time-stamp: {exc}",
            review=True,
        )
        signed, facts = sign_record(stamped, seal, use_tsa=False)
    except SigningFailed as exc:
        raise SealUnavailable(
            f"电子签章失败，未归档：{exc}",
            f"Signing the record failed; nothing was archived: {exc}",
            code="signing_failed",
        ) from exc
    demo = "（演示证书）" if facts.demo else ""
    report.add(
        "authenticity",
        "signed",
        True,
        f"已由“{facts.signer}”{demo}电子签章（PAdES）"
        + ("，含时间戳" if facts.timestamped else "，无时间戳"),
        f"Signed (PAdES) by {facts.signer}{' (demo certificate)' if facts.demo else ''}, "
        + ("time-stamped" if facts.timestamped else "no time-stamp"),
    )
    return signed, facts


def _refuse(report: ChecksReport) -> ArchiveChecksFailed:
    failures = report.failures()
    return ArchiveChecksFailed(
        "四性检测未通过，未归档：" + "；".join(f.message for f in failures),
        "Archiving refused, the pre-archiving checks failed: "
        + "; ".join(f.message_en for f in failures),
        code="archive_checks_failed",
        extra={"checks": report.as_dict()},
    )


def _archivable(actor: Actor, notice_id: int, retention: str) -> tuple[str, Notice]:
    """The retention code and the notice, for an archivist of the notice's organisation."""
    require_perm(actor.user, roles.ARCHIVE_NOTICE)
    retention_code = parse_retention(retention or "")
    if retention_code is None:
        raise InvalidInput(
            "保管期限只能是 Y（永久）、D30（定期30年）或 D10（定期10年）",
            "Retention must be Y (permanent), D30 (30 years) or D10 (10 years)",
            code="invalid_choice",
            field="retention",
        )
    notice = Notice.objects.select_related("organisation").filter(pk=notice_id).first()
    if notice is None:
        raise not_found()
    require_same_organisation(actor.user, notice)
    return retention_code, notice


def _fonds_and_date(organisation: Organisation, notice: Notice) -> tuple[str, date]:
    """全宗号, and the date whose year is the 年度 (成文日期, else the day it was received)."""
    fonds = organisation.fonds_code or settings.FONDS_CODE
    return fonds, notice.issued_on or timezone.localdate(notice.received_at)


def preview_archival_code(
    actor: Actor, notice_id: int, *, retention: str, unit_code: str | None = None
) -> str:
    """The 档号 archiving would assign now: the group's next 件号, read but not taken (no lock).
    Someone archiving into the same group in between takes it first: the 档号 then differs."""
    retention_code, notice = _archivable(actor, notice_id, retention)
    unit = _filing_unit(notice.organisation, unit_code)
    fonds, issued_on = _fonds_and_date(notice.organisation, notice)
    last = (
        ItemCounter.objects.filter(
            fonds_code=fonds, year=issued_on.year, retention=retention_code, unit_code=unit.code
        )
        .values_list("last_value", flat=True)
        .first()
    )
    try:
        code = ArchivalCode(fonds, issued_on.year, retention_code, unit.code, (last or 0) + 1)
    except ArchivalCodeError as exc:
        raise Conflict(
            f"无法编制档号：{exc.message}",
            f"No archival code can be made: {exc.message_en}",
            code="archival_code_invalid",
        ) from exc
    return str(code)


@dataclass(frozen=True)
class _Sealed:
    """The stamped (and signed) file made for one 件号, outside any transaction."""

    item_no: int
    code: ArchivalCode
    archived_at: datetime
    data: bytes
    facts: PdfFacts
    signature: SignatureFacts | None
    lines: ChecksReport  # the signing's and the sealed file's own check lines
    sheet: bytes | None = None  # the 处理笺 of a 批办 notice, stamped and signed the same way
    sheet_signature: SignatureFacts | None = None


@dataclass(frozen=True)
class _Sheet:
    """A 批办 notice's 处理笺 rendered for archiving: the PDF and the hash of its data."""

    pdf: bytes
    page_count: int
    digest: str


def _render_sheet(notice: Notice) -> _Sheet | None:
    """The 处理笺 of a 批办 notice as it stands (None for a 阅知 notice): rendered outside any
    transaction; :func:`_seal` checks under the lock that its data has not changed since."""
    if notice.handling != Handling.ACTION:
        return None
    with transaction.atomic(durable=True):
        data = collect_sheet_data(notice.pk, lock=True)
    digest = content_hash(data)
    try:
        pdf, pages = render_sheet(data, generated_at=timezone.now(), digest=digest)
    except (MissingGlyphs, SandboxError, FontUnavailable) as exc:
        raise render_failure(exc) from exc
    return _Sheet(pdf, pages, digest)


class _ItemTaken(Exception):
    """Another archiving took the 件号 the file was stamped with: stamp again with ``next``."""

    def __init__(self, next_item_no: int) -> None:
        super().__init__(next_item_no)
        self.next_item_no = next_item_no


# Stamping and signing again when another archiving into the same group took the 件号 meanwhile.
ATTEMPTS = 4


def _peek_item_no(fonds: str, year: int, retention: str, unit_code: str) -> int:
    """The group's next 件号 as it is now (no lock): what the file is stamped with."""
    last = (
        ItemCounter.objects.filter(
            fonds_code=fonds, year=year, retention=retention, unit_code=unit_code
        )
        .values_list("last_value", flat=True)
        .first()
    )
    return (last or 0) + 1


def _stamp_and_sign(
    pdf: bytes,
    page_count: int,
    code: ArchivalCode,
    item_no: int,
    seal: Seal | None,
    sheet: _Sheet | None = None,
) -> _Sealed:
    """The 归档章 (with the signature's appearance) and the signature: seconds of WeasyPrint and
    pyHanko, run while no row is locked."""
    lines = ChecksReport()
    archived_at = timezone.now()
    archival_code = str(code)
    mark = seal_mark(seal, archival_code, archived_at) if seal else None
    stamp = StampData.of(code, page_count)
    sealed = apply_stamp(pdf, stamp, mark)
    signature = _sign(lines, sealed, seal) if seal else None
    if signature is not None:
        sealed = signature[0]
    sealed_facts = inspect_pdf(sealed)
    check_usability(lines, sealed_facts, sealed=True)
    stamped = all(t in sealed_facts.first_page_text for t in (code.fonds, code.item_text))
    lines.add(
        "usability",
        "sealed_stamp",
        stamped,
        "归档章已加盖于首页" if stamped else "首页上读不出归档章",
        "The filing stamp is on page 1" if stamped else "No filing stamp found on page 1",
    )
    sheet_data, sheet_signature = (
        _stamp_and_sign_sheet(lines, sheet.pdf, stamp, mark, seal, code) if sheet else (None, None)
    )
    return _Sealed(
        item_no,
        code,
        archived_at,
        sealed,
        sealed_facts,
        signature[1] if signature else None,
        lines,
        sheet_data,
        sheet_signature,
    )


def _stamp_and_sign_sheet(
    lines: ChecksReport,
    pdf: bytes,
    stamp: StampData,
    mark: Any,
    seal: Seal | None,
    code: ArchivalCode,
) -> tuple[bytes, SignatureFacts | None]:
    """The 处理笺 with the record's 归档章 and signature appearance, signed with the same seal."""
    stamped = apply_stamp(pdf, stamp, mark)
    facts: SignatureFacts | None = None
    if seal is not None:
        stamped, facts = _sign(
            ChecksReport(), stamped, seal
        )  # its lines say the same as the record's
    sheet_facts = inspect_pdf(stamped)
    ok = all(t in sheet_facts.first_page_text for t in (code.fonds, code.item_text))
    lines.add(
        "usability",
        "sheet_stamp",
        ok,
        "处理笺首页已加盖归档章" + ("并电子签章" if facts else "")
        if ok
        else "处理笺首页上读不出归档章",
        "The filing stamp is on the handling sheet's page 1" + (", signed" if facts else "")
        if ok
        else "No filing stamp found on the handling sheet's page 1",
    )
    return stamped, facts


def _code(fonds: str, year: int, retention: str, unit_code: str, item_no: int) -> ArchivalCode:
    try:
        return ArchivalCode(fonds, year, retention, unit_code, item_no)
    except ArchivalCodeError as exc:  # e.g. a 10,000th item, or a malformed 全宗号
        raise Conflict(
            f"无法编制档号：{exc.message}",
            f"No archival code can be made: {exc.message_en}",
            code="archival_code_invalid",
        ) from exc


def archive_notice(
    actor: Actor, notice_id: int, *, retention: str, unit_code: str | None = None
) -> ArchivedRecord:
    """归档 a completed notice with 保管期限 ``retention`` (Y/D30/D10 or 永久/定期30年/定期10年).

    The stamp and the signature are made first, with the group's next 件号 as it is then and no
    row locked; the transaction then locks the notice and the 件号 counter, runs the 四性 checks
    (the record's data against the database, under the lock) and seals — when the 件号 it takes
    is the one stamped. When another archiving into the same group took it meanwhile, the file is
    stamped and signed again with the next one (up to :data:`ATTEMPTS` times)."""
    retention_code, notice = _archivable(actor, notice_id, retention)
    if notice.state != NoticeState.COMPLETED:
        raise _state_conflict(notice)
    organisation = notice.organisation
    unit = _filing_unit(organisation, unit_code)
    seal = _seal_for_archiving()
    rendition = renditions.current(notice, actor)
    pdf = renditions.read_bytes(rendition)
    facts = inspect_pdf(pdf)
    fonds, issued_on = _fonds_and_date(organisation, notice)
    year = issued_on.year
    sheet = _render_sheet(notice)
    item_no = _peek_item_no(fonds, year, retention_code, unit.code)
    for _attempt in range(ATTEMPTS):
        code = _code(fonds, year, retention_code, unit.code, item_no)
        sealed = _stamp_and_sign(pdf, facts.page_count, code, item_no, seal, sheet)
        try:
            return _seal(
                actor,
                notice_id,
                retention_code,
                unit,
                rendition,
                pdf,
                facts,
                sealed,
                sheet.digest if sheet else None,
            )
        except _ItemTaken as taken:
            item_no = taken.next_item_no
    raise Conflict(
        "同一分组正有多份文件同时归档，件号被占用，请稍后重试",
        "Other records are being archived into the same group and took the item number; try again",
        code="item_number_busy",
    )


def _seal(
    actor: Actor,
    notice_id: int,
    retention_code: str,
    unit: Unit,
    rendition: Any,
    pdf: bytes,
    facts: PdfFacts,
    sealed: _Sealed,
    sheet_digest: str | None = None,
) -> ArchivedRecord:
    """The locking transaction: checks, the 件号, the sealed write-once file, the row, the event.
    Raises :class:`_ItemTaken` (everything rolled back) when the 件号 is not the stamped one."""
    storage = sealed_storage()
    written: str | None = None
    written_sheet: str | None = None
    code = sealed.code
    fonds, year = code.fonds, code.year
    try:
        with transaction.atomic(durable=True):
            notice = Notice.objects.select_for_update(no_key=True).get(pk=notice_id)
            if notice.state != NoticeState.COMPLETED:
                raise _state_conflict(notice)
            organisation = notice.organisation
            _fonds, issued_on = _fonds_and_date(organisation, notice)
            attachments = list(Attachment.objects.filter(notice=notice).order_by("pk"))
            report = ChecksReport()
            check_authenticity(
                report,
                pdf=pdf,
                facts=facts,
                rendition_sha256=rendition.sha256,
                content_hash=rendition.content_hash,
                db_content_hash=renditions.database_content_hash(notice.pk),
                embedded_hash=renditions.embedded_content_hash(
                    facts.embedded_files.get(RECORD_JSON), rendition.content_hash
                ),
                attachment_hashes={a.sha256 for a in attachments},
            )
            check_integrity(report, notice)
            if sheet_digest is not None:
                _check_sheet_data(report, notice.pk, sheet_digest)
            check_usability(report, facts)
            snapshot = check_security(report, facts, attachments)
            if not report.ok:
                raise _refuse(report)

            item_no = _next_item_no(fonds, year, retention_code, unit.code)
            if item_no != sealed.item_no:
                raise _ItemTaken(item_no)
            used = ArchivedRecord.objects.filter(
                fonds_code=fonds, year=year, retention=retention_code, unit_code=unit.code
            ).values_list("item_no", flat=True)
            check_item_sequence(report, list(used), item_no)
            report.checks.extend(sealed.lines.checks)
            if not report.ok:
                raise _refuse(report)
            archival_code = str(code)
            try:
                written = storage.save(
                    sealed_path(fonds, year, archival_code), ContentFile(sealed.data)
                )
            except SealedFileExists as exc:
                raise Conflict(
                    f"归档文件 {archival_code}.pdf 已存在，不能覆盖，请联系管理员核查",
                    f"The sealed file {archival_code}.pdf already exists and is never overwritten",
                    code="sealed_file_exists",
                ) from exc
            if sealed.sheet is not None:
                try:
                    written_sheet = storage.save(
                        sealed_sheet_path(fonds, year, archival_code), ContentFile(sealed.sheet)
                    )
                except SealedFileExists as exc:
                    raise Conflict(
                        f"处理笺 {archival_code}.handling-sheet.pdf 已存在，不能覆盖，请联系管理员",
                        f"The sealed handling sheet of {archival_code} already exists "
                        "and is never overwritten",
                        code="sealed_file_exists",
                    ) from exc
            renditions.freeze(rendition, actor)
            notice.archive()
            notice.save()
            record = ArchivedRecord(
                notice=notice,
                organisation=organisation,
                archival_code=archival_code,
                fonds_code=fonds,
                year=year,
                retention=retention_code,
                unit=unit,
                unit_code=unit.code,
                item_no=item_no,
                doc_number=notice.doc_number,
                title=notice.title,
                issuer=notice.issuer,
                issued_on=issued_on,
                date_is_receipt=notice.issued_on is None,
                secrecy=notice.secrecy,
                remarks="" if notice.issued_on else "成文日期不详，日期为收文日期",
                file=written,
                page_count=sealed.facts.page_count,
                record_sha256=bytes_sha256(sealed.data),
                record_sm3=sm3_hex(sealed.data),
                signature=sealed.signature.as_dict() if sealed.signature else {},
                record_size=len(sealed.data),
                rendition_sha256=rendition.sha256,
                attachments=snapshot,
                **_sheet_fields(sealed, written_sheet),
                checks_report=report.as_dict(),
                archived_at=sealed.archived_at,
                archived_by=actor.user,
                **search_fields(
                    title=notice.title,
                    doc_number=notice.doc_number,
                    issuer=notice.issuer,
                    body=notice.body,
                ),
            )
            record.row_sha256 = row_hash(record)
            record.save()
            append_event(
                actor,
                AuditAction.NOTICE_ARCHIVED,
                notice,
                notice_id=notice.pk,
                from_state=NoticeState.COMPLETED,
                to_state=NoticeState.ARCHIVED,
                data={
                    "archival_code": archival_code,
                    "sha256": record.record_sha256,
                    "sm3": record.record_sm3,
                    "signed": bool(record.signature),
                    "row_sha256": record.row_sha256,
                    "record_id": record.pk,
                    "retention": retention_code,
                    "unit": unit.code,
                    "pages": record.page_count,
                    **(
                        {"sheet_sha256": record.sheet_sha256, "sheet_sm3": record.sheet_sm3}
                        if written_sheet
                        else {}
                    ),
                },
            )
            transaction.on_commit(anchor_after_commit, robust=True)  # audit checkpoint
    except BaseException:
        for name in (written, written_sheet):
            if name:
                storage.delete_unsealed(name)
        raise
    return record


def _check_sheet_data(report: ChecksReport, notice_id: int, digest: str) -> None:
    """The 处理笺 rendered before the lock shows the data as it is under the lock."""
    same = content_hash(collect_sheet_data(notice_id)) == digest
    report.add(
        "integrity",
        "sheet_data",
        same,
        "处理笺内容与数据库一致" if same else "处理笺生成后办理数据又有变化，请重新归档",
        "The handling sheet shows the data as it is"
        if same
        else "The handling data changed after the handling sheet was made; archive again",
    )


def _sheet_fields(sealed: _Sealed, name: str | None) -> dict[str, Any]:
    if sealed.sheet is None or name is None:
        return {}
    return {
        "sheet_file": name,
        "sheet_sha256": bytes_sha256(sealed.sheet),
        "sheet_sm3": sm3_hex(sealed.sheet),
        "sheet_size": len(sealed.sheet),
        "sheet_signature": sealed.sheet_signature.as_dict() if sealed.sheet_signature else {},
    }


def check_record(actor: Actor, record: ArchivedRecord) -> VerifyResult:
    """Verify ``record`` now and record the outcome (``archive.verified``); the result's
    ``checked_at`` is the time of the recorded event.

    The hashing runs before the transaction (it reads the whole file); the transaction locks the
    notice row (``FOR NO KEY UPDATE``, the lock order of every service: notice, then the audit
    chain head) only to compare with the last check and append the event.
    """
    result = verify_record(record)
    outcome = checking.outcome_of(result)
    with transaction.atomic(durable=True):
        locked = Notice.objects.select_for_update(no_key=True).filter(pk=record.notice_id)
        list(locked.values_list("pk", flat=True))
        previous = checking.last_event(record)
        if (
            previous is not None
            and isinstance(previous.data, dict)
            and isinstance(previous.data.get("outcome"), dict)
            and checking.verdict(previous.data["outcome"]) == checking.verdict(outcome)
            and result.checked_at - previous.at < checking.REPEAT_WINDOW
        ):
            return replace(result, checked_at=previous.at)
        event = append_event(
            actor,
            AuditAction.ARCHIVE_VERIFIED,
            record,
            notice_id=record.notice_id,
            data={
                "archival_code": record.archival_code,
                "ok": result.ok,
                "outcome": outcome,
            },
        )
    return replace(result, checked_at=event.at)
