"""附件: store an uploaded file under a generated name after checking its content and size."""

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet

from circulation.archive.sealing import SealedFileAltered, VerifiedContent, open_verified
from circulation.records import roles
from circulation.records.active_content import find_active_content
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, InvalidInput
from circulation.records.models import Attachment, AuditAction, Notice, Person, Unit
from circulation.records.permissions import not_found, require_perm, require_same_organisation
from circulation.records.selectors import visible_notices
from circulation.records.sniffing import RejectedUpload, sniff_upload
from workflows.machines import NoticeState
from workflows.services.delegation import inbox_people, principal_ids

ATTACHABLE = (NoticeState.RECEIVED, NoticeState.REGISTERED)


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class CheckedUpload:
    """An upload's type by its content, its SHA-256 and any active PDF content found."""

    extension: str
    content_type: str
    sha256: str
    warnings: list[dict[str, str]]


def check_upload(name: str, stream: BinaryIO, size: int) -> CheckedUpload:
    """Sniffed by content within the attachment size limit (400 at ``file`` otherwise), hashed,
    and a PDF scanned for active content: kept, but flagged (the uploader sees the warnings and
    the archive's 安全性 check flags the same content for review). Every upload goes through it:
    the received document's 附件 and the files of a 办理结果 or a 答复."""
    try:
        sniffed = sniff_upload(name, stream, size, settings.ATTACHMENT_MAX_BYTES)
    except RejectedUpload as exc:
        raise InvalidInput(exc.message, exc.message_en, code=exc.code, field="file") from exc
    sha256 = _sha256(stream)
    warnings = (
        [item.as_dict() for item in find_active_content(stream)]
        if sniffed.extension == "pdf"
        else []
    )
    stream.seek(0)
    return CheckedUpload(sniffed.extension, sniffed.content_type, sha256, warnings)


def add_attachment(
    actor: Actor, notice_id: int, name: str, stream: BinaryIO, size: int
) -> Attachment:
    """Attach a file before the notice is forwarded (what recipients confirm does not change).

    A PDF with active content (JavaScript, launch actions, embedded executables …) is stored
    with ``warnings`` (code, where, zh and en message), also named in the audit event.
    """
    require_perm(actor.user, roles.ADD_ATTACHMENT)
    checked = check_upload(name, stream, size)
    sha256, warnings = checked.sha256, checked.warnings
    with transaction.atomic(durable=True):
        notice = Notice.objects.select_for_update(no_key=True).filter(pk=notice_id).first()
        if notice is None:
            raise not_found()
        require_same_organisation(actor.user, notice)
        if notice.state not in ATTACHABLE:
            raise Conflict(
                "收文已开始传阅，不能再添加附件",
                "Attachments can only be added before the notice is forwarded",
                code="invalid_state",
                extra={"state": notice.state},
            )
        attachment = Attachment(
            notice=notice,
            original_name=name[:255],
            extension=checked.extension,
            content_type=checked.content_type,
            size=size,
            sha256=sha256,
            uploaded_by=actor.user,
            warnings=warnings,
        )
        # The file is written inside the transaction; if anything below fails it is removed.
        attachment.file.save("upload", File(stream), save=False)
        try:
            attachment.save(force_insert=True)
            append_event(
                actor,
                AuditAction.NOTICE_ATTACHMENT_ADDED,
                attachment,
                notice_id=notice.pk,
                data={
                    "name": attachment.original_name,
                    "sha256": sha256,
                    "size": size,
                    **({"warnings": [w["code"] for w in warnings]} if warnings else {}),
                },
            )
        except BaseException:
            attachment.file.delete(save=False)
            raise
    return attachment


@dataclass(frozen=True)
class AttachmentDownload:
    attachment: Attachment
    content: VerifiedContent  # size and the bytes, hashed as they are read


def units_acted_for(person: Person) -> QuerySet[Unit, int]:
    """A subquery of the units a person acts for in 承办 (member or head)."""
    return (
        Unit.objects.filter(Q(memberships__person=person) | Q(head=person))
        .order_by()
        .values_list("pk", flat=True)
    )


def open_attachment(user: Person, notice_id: int, attachment_id: int) -> AttachmentDownload:
    """An attachment's bytes for anyone who can see its notice (recipients and their unit heads
    included, the rule of :func:`~circulation.records.selectors.visible_notices`), for the
    delegate of a recipient while the delegation is in force (they read it to answer for them),
    and on a 批办 notice for the leaders named for 批示 (and their delegates) and the people of
    the 承办 units, who decide and handle it without being recipients; "not found" for everyone
    else (one statement).

    Served like an archived attachment (:func:`circulation.archive.sealing.open_verified`): one
    read, checked against the SHA-256 taken at upload, so a file altered on disk is refused (409)
    instead of being handed to the recipients as the document they confirm.
    """
    attachment = (
        Attachment.objects.filter(
            Q(notice__in=visible_notices(user))
            | Q(notice__acknowledgements__person_id__in=principal_ids(user))
            | Q(notice__handling_case__instructions__leader_id__in=inbox_people(user))
            | Q(notice__handling_case__assignments__unit_id__in=units_acted_for(user)),
            pk=attachment_id,
            notice_id=notice_id,
        )
        .only("id", "notice_id", "file", "original_name", "content_type", "size", "sha256")
        .first()
    )
    if attachment is None:
        raise not_found("attachment")
    try:
        content = open_verified(
            lambda: attachment.file.open("rb"),
            sha256=attachment.sha256,
            size=attachment.size,
            label=f"attachment {attachment.pk} of notice {notice_id}",
        )
    except SealedFileAltered as exc:
        raise Conflict(
            "附件的 SHA-256 与上传时不符，已拒绝下载，请联系收发员",
            "The attachment no longer matches the SHA-256 taken at upload; download refused",
            code="file_altered",
            field="attachment",
        ) from exc
    return AttachmentDownload(attachment, content)
