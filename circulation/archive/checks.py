"""四性检测 (DA/T 70-2018) before a record is sealed: 真实性, 完整性, 可用性, 安全性.

Each check gives a line in the report (code, ok, message in zh-hans and English); the report is
stored with the archive record, and any failed line blocks archiving with its reason — except
active content in an attachment (安全性), a failure that needs review (``report.py``).
"""

import hashlib
from typing import Any

from django.conf import settings

from circulation.archive.pdfinspect import PdfFacts
from circulation.archive.report import ChecksReport
from circulation.archive.sealing import attachment_digests
from circulation.records.active_content import find_active_content
from circulation.records.models import Acknowledgement, Attachment, AuditAction, AuditEvent, Notice
from circulation.records.sniffing import RejectedUpload, sniff_upload
from workflows.machines import ACK_TERMINAL_STATES

HANDLING_EVENTS: dict[str, str] = {
    AuditAction.NOTICE_REGISTERED: "登记",
    AuditAction.NOTICE_FORWARDED: "传阅",
    AuditAction.NOTICE_COMPLETED: "办结",
}
RECORD_JSON = "record.json"


# --------------------------------------------------------------------------- 真实性


def check_authenticity(
    report: ChecksReport,
    *,
    pdf: bytes,
    facts: PdfFacts,
    rendition_sha256: str,
    content_hash: str,
    db_content_hash: str,
    embedded_hash: str | None,
    attachment_hashes: set[str],
) -> None:
    actual = hashlib.sha256(pdf).hexdigest()
    report.add(
        "authenticity",
        "record_sha256",
        actual == rendition_sha256,
        f"确认单文件 SHA-256 {'与生成时一致' if actual == rendition_sha256 else '与生成时不符'}",
        f"The record file's SHA-256 {'matches' if actual == rendition_sha256 else 'differs from'}"
        " the one stored when it was generated",
    )
    report.add(
        "authenticity",
        "embedded_data",
        embedded_hash == content_hash,
        "确认单内嵌的 record.json 与生成时的数据一致"
        if embedded_hash == content_hash
        else "确认单内嵌的 record.json 缺失或与生成时的数据不符",
        "The embedded record.json matches the data the record was generated from"
        if embedded_hash == content_hash
        else "The embedded record.json is missing or differs from the record's data",
    )
    report.add(
        "authenticity",
        "data_matches_database",
        db_content_hash == content_hash,
        "确认单数据与数据库中的办理记录一致"
        if db_content_hash == content_hash
        else "确认单数据与数据库中的办理记录不一致（记录生成后数据有变化）",
        "The record's data matches the database"
        if db_content_hash == content_hash
        else "The record's data differs from the database (changed after it was generated)",
    )
    embedded = {
        hashlib.sha256(data).hexdigest()
        for name, data in facts.embedded_files.items()
        if name != RECORD_JSON
    }
    missing = attachment_hashes - embedded
    report.add(
        "authenticity",
        "attachments_embedded",
        not missing,
        "全部附件已原样嵌入确认单" if not missing else f"有 {len(missing)} 个附件未原样嵌入确认单",
        "Every attachment is embedded unchanged"
        if not missing
        else f"{len(missing)} attachment(s) are not embedded unchanged",
    )


# --------------------------------------------------------------------------- 完整性


def check_integrity(report: ChecksReport, notice: Notice) -> None:
    required = {
        "文号": ("document number", notice.doc_number),
        "题名": ("title", notice.title),
        "责任者": ("issuer", notice.issuer),
    }
    missing = [zh for zh, (_en, value) in required.items() if not (value or "").strip()]
    missing_en = [required[zh][0] for zh in missing]
    report.add(
        "integrity",
        "metadata",
        not missing,
        "必填元数据（文号、题名、责任者、日期）齐全"
        if not missing
        else f"缺少必填元数据：{'、'.join(missing)}",
        "Required metadata present"
        if not missing
        else f"Missing required metadata: {', '.join(missing_en)}",
    )
    if notice.issued_on is None:
        report.add(
            "integrity",
            "date",
            True,
            "成文日期未登记，日期取收文日期",
            "No date of issue registered; the receipt date is used",
        )
    actions = set(
        AuditEvent.objects.filter(notice=notice, action__in=HANDLING_EVENTS).values_list(
            "action", flat=True
        )
    )
    absent = [label for action, label in HANDLING_EVENTS.items() if action not in actions]
    report.add(
        "integrity",
        "handling_records",
        not absent,
        "办理过程记录（登记、传阅、办结）齐全"
        if not absent
        else f"缺少办理过程记录：{'、'.join(absent)}",
        "Handling records (registration, forwarding, completion) present"
        if not absent
        else f"Missing handling records: {', '.join(sorted(set(HANDLING_EVENTS) - actions))}",
    )
    acks = Acknowledgement.objects.filter(notice=notice)
    total = acks.count()
    open_count = acks.exclude(state__in=ACK_TERMINAL_STATES).count()
    report.add(
        "integrity",
        "acknowledgements_terminal",
        total > 0 and open_count == 0,
        f"全部 {total} 份阅知确认均已办结"
        if total and not open_count
        else f"有 {open_count} 份阅知确认尚未办结（共 {total} 份）",
        f"All {total} acknowledgements are terminal"
        if total and not open_count
        else f"{open_count} of {total} acknowledgements are still open",
    )


def check_item_sequence(report: ChecksReport, used: list[int], next_no: int) -> None:
    """件号 of the group must be exactly 1..n, and the new one n+1."""
    expected = list(range(1, next_no))
    ok = sorted(used) == expected
    report.add(
        "integrity",
        "item_sequence",
        ok,
        f"件号连续，本件为 {next_no:04d}" if ok else "本组件号不连续，请联系管理员核查",
        f"Item numbers are gapless; this item is {next_no:04d}"
        if ok
        else "The group's item numbers have a gap; ask an administrator to check",
    )


# --------------------------------------------------------------------------- 可用性


def check_usability(report: ChecksReport, facts: PdfFacts, *, sealed: bool = False) -> None:
    """The record as rendered, or (``sealed``) the file with the 归档章 that will be stored."""
    what, what_en, prefix = (
        ("盖归档章后的文件", "The stamped file", "sealed_") if sealed else ("确认单", "The PDF", "")
    )
    report.add(
        "usability",
        f"{prefix}opens",
        facts.opens,
        f"{what}可以正常打开（{facts.page_count} 页）" if facts.opens else f"{what}无法打开",
        f"{what_en} opens ({facts.page_count} pages)"
        if facts.opens
        else f"{what_en} does not open: {facts.open_error}",
    )
    if not facts.opens:
        return
    fonts_ok = not facts.unembedded_fonts and facts.font_count > 0
    missing = ", ".join(facts.unembedded_fonts)[:200]
    report.add(
        "usability",
        f"{prefix}fonts_embedded",
        fonts_ok,
        f"{what}字体均已嵌入" if fonts_ok else f"{what}有字体未嵌入：{missing or '无字体'}",
        f"{what_en}: all fonts embedded"
        if fonts_ok
        else f"{what_en}: fonts not embedded: {missing or 'no fonts'}",
    )
    report.add(
        "usability",
        f"{prefix}pdfa",
        facts.pdfa is not None,
        f"{what}具有 {facts.pdfa} 标识" if facts.pdfa else f"{what}缺少 PDF/A 标识",
        f"{what_en}: {facts.pdfa} identification present"
        if facts.pdfa
        else f"{what_en}: no PDF/A identification",
    )


# --------------------------------------------------------------------------- 安全性


def check_security(
    report: ChecksReport, facts: PdfFacts, attachments: list[Attachment]
) -> list[dict[str, Any]]:
    """Re-sniff and re-hash every attachment; look for active content in the PDF.

    Returns the attachments' snapshot (id, name, type, size, SHA-256, SM3) stored with the record.
    """
    report.add(
        "security",
        "no_active_content",
        not facts.active_content,
        "确认单不含脚本或启动动作"
        if not facts.active_content
        else f"确认单含有活动内容：{'; '.join(facts.active_content)[:200]}",
        "No JavaScript or launch actions in the PDF"
        if not facts.active_content
        else f"Active content in the PDF: {'; '.join(facts.active_content)[:200]}",
    )
    snapshot = []
    for attachment in attachments:
        label = f"附件“{attachment.original_name}”"
        label_en = f"Attachment {attachment.original_name!r}"
        digests = attachment_digests(attachment)
        if digests is None:
            report.add(
                "security",
                f"attachment_{attachment.pk}",
                False,
                f"{label}文件缺失",
                f"{label_en}: the file is missing",
            )
            continue
        actual, actual_sm3 = digests
        sniffed_ok, why, why_en = _sniff(attachment)
        hash_ok = actual == attachment.sha256
        report.add(
            "security",
            f"attachment_{attachment.pk}",
            sniffed_ok and hash_ok,
            f"{label}类型与哈希核验通过"
            if sniffed_ok and hash_ok
            else f"{label}{why or '的 SHA-256 与上传时不符（文件已被改动）'}",
            f"{label_en}: type and hash verified"
            if sniffed_ok and hash_ok
            else f"{label_en}: {why_en or 'SHA-256 differs from the upload (file was altered)'}",
        )
        if attachment.extension == "pdf":
            _check_active_content(report, attachment, label, label_en)
        snapshot.append(
            {
                "id": attachment.pk,
                "name": attachment.original_name,
                "extension": attachment.extension,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "sm3": actual_sm3,
                "path": attachment.file.name,
            }
        )
    return snapshot


def _check_active_content(
    report: ChecksReport, attachment: Attachment, label: str, label_en: str
) -> None:
    """A PDF attachment with JavaScript, launch actions, embedded executables …: a failed line
    that needs an archivist's review (it does not block: the document is archived as received)."""
    with attachment.file.open("rb") as handle:
        found = find_active_content(handle)
    shown = "；".join(item.message for item in found)[:300]
    shown_en = "; ".join(item.message_en for item in found)[:300]
    report.add(
        "security",
        f"attachment_{attachment.pk}_active_content",
        not found,
        f"{label}不含脚本、启动动作或内嵌可执行文件"
        if not found
        else f"{label}含有活动内容，须人工审核：{shown}",
        f"{label_en}: no scripts, launch actions or embedded executables"
        if not found
        else f"{label_en} has active content and needs review: {shown_en}",
        review=True,
    )


def _sniff(attachment: Attachment) -> tuple[bool, str, str]:
    try:
        with attachment.file.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(0)
            limit = max(settings.ATTACHMENT_MAX_BYTES, size)
            sniffed = sniff_upload(attachment.original_name, handle, size, limit)
    except RejectedUpload as exc:
        return (
            False,
            f"未通过类型检查：{exc.message}",
            f"refused by the type check: {exc.message_en}",
        )
    if sniffed.extension != attachment.extension:
        return (
            False,
            f"内容类型已变为 {sniffed.extension}（登记时为 {attachment.extension}）",
            f"content is now {sniffed.extension} (was {attachment.extension})",
        )
    return True, "", ""
