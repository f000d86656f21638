"""Files of a 办理结果 or a 答复 (:class:`HandlingFile`), checked and stored like the received
document's 附件 — by content (sniffed), within ``ATTACHMENT_MAX_BYTES``, under a generated name
with its SHA-256 — but kept apart from them: the 阅知确认单 and the archive's 完整性 check list
the notice's ``attachments`` as the document received, and a unit's working papers are not that.

- A 承办 unit's people add files to their assignment until its 办理结果 is recorded (upload
  first, then record the result; the result then stands with its files).
- The clerk (``record_reply``) adds files to a recorded 答复 until the notice is archived.
- Anyone who sees the 批办单 downloads them, read once and checked against the SHA-256.
Each upload is an audit event (``handling.file_added``) in the upload's transaction.
"""

from dataclasses import dataclass
from typing import BinaryIO

from django.core.files import File
from django.db import transaction

from circulation.archive.sealing import SealedFileAltered, VerifiedContent, open_verified
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, Forbidden
from circulation.records.models import Assignment, AuditAction, HandlingFile, Person, Reply
from circulation.records.permissions import not_found
from workflows.machines import AssignmentState, NoticeState
from workflows.services import handling_common as common
from workflows.services.attachments import CheckedUpload, check_upload


@dataclass(frozen=True)
class Upload:
    name: str
    stream: BinaryIO
    size: int


def _store(
    actor: Actor,
    upload: Upload,
    checked: CheckedUpload,
    *,
    case_id: int,
    notice_id: int,
    assignment: Assignment | None = None,
    reply: Reply | None = None,
) -> HandlingFile:
    item = HandlingFile(
        case_id=case_id,
        assignment=assignment,
        reply=reply,
        original_name=upload.name[:255],
        extension=checked.extension,
        content_type=checked.content_type,
        size=upload.size,
        sha256=checked.sha256,
        uploaded_by=actor.user,
    )
    # Written inside the transaction; removed again if anything below fails.
    item.file.save("upload", File(upload.stream), save=False)
    try:
        item.save(force_insert=True)
        append_event(
            actor,
            AuditAction.HANDLING_FILE_ADDED,
            item,
            notice_id=notice_id,
            data={
                "name": item.original_name,
                "sha256": item.sha256,
                "size": item.size,
                "of": "result" if assignment is not None else "reply",
                **({"warnings": [w["code"] for w in checked.warnings]} if checked.warnings else {}),
            },
        )
    except BaseException:
        item.file.delete(save=False)
        raise
    return item


def require_reply_perm(user: Person) -> None:
    """The clerk's (or office director's) right to record a 答复 and its files."""
    if not user.is_active or not user.has_perm("records.record_reply"):
        raise Forbidden(
            "您没有登记答复的权限",
            "You are not allowed to record replies",
            code="permission_denied",
        )


def check_result_uploader(user: Person, assignment_id: int) -> None:
    """Before a result file's body is read: the caller must act for the assignment's unit
    (403 for someone who sees the 批办单, 404 for anyone else)."""
    assignment = (
        Assignment.objects.select_related("case")
        .filter(pk=assignment_id, case__notice__organisation_id=user.organisation_id or 0)
        .first()
    )
    if assignment is None:
        raise not_found()
    if assignment.unit_id not in common.unit_ids_of(user):
        if common.sees_case(user, assignment.case):
            raise _not_in_unit()
        raise not_found()


def _not_in_unit() -> Forbidden:
    return Forbidden(
        "只有承办单位的人员可以上传办理结果附件",
        "Only the people of the 承办 unit can add files to its result",
        code="not_in_unit",
    )


def add_result_file(actor: Actor, assignment_id: int, upload: Upload) -> HandlingFile:
    """A file of a 承办 unit's 办理结果, before the result is recorded."""
    checked = check_upload(upload.name, upload.stream, upload.size)
    with transaction.atomic(durable=True):
        notice_id = (
            Assignment.objects.filter(pk=assignment_id)
            .values_list("case__notice_id", flat=True)
            .first()
        )
        if notice_id is None:
            raise not_found()
        notice = common.lock_notice(actor, notice_id)
        case = common.lock_case(notice)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        if not common.acts_for_unit(actor, assignment.unit_id):
            if common.sees_case(actor.user, case):
                raise _not_in_unit()
            raise not_found()
        common.require_notice_state(notice, (NoticeState.CIRCULATING,))
        if assignment.state == AssignmentState.RESULTED:
            raise Conflict(
                "办理结果已登记，不能再添加附件",
                "The result is recorded; files can no longer be added to it",
                code="invalid_state",
                extra={"state": assignment.state},
            )
        return _store(
            actor, upload, checked, case_id=case.pk, notice_id=notice.pk, assignment=assignment
        )


def add_reply_file(actor: Actor, reply_id: int, upload: Upload) -> HandlingFile:
    """A file of a recorded 答复 (the letter sent, a receipt), until the notice is archived."""
    require_reply_perm(actor.user)
    checked = check_upload(upload.name, upload.stream, upload.size)
    with transaction.atomic(durable=True):
        notice_id = (
            Reply.objects.filter(pk=reply_id).values_list("case__notice_id", flat=True).first()
        )
        if notice_id is None:
            raise not_found()
        notice = common.lock_notice(actor, notice_id)
        case = common.lock_case(notice)
        common.require_notice_state(notice, (NoticeState.CIRCULATING, NoticeState.COMPLETED))
        reply = Reply.objects.get(pk=reply_id)
        return _store(actor, upload, checked, case_id=case.pk, notice_id=notice.pk, reply=reply)


@dataclass(frozen=True)
class FileDownload:
    file: HandlingFile
    content: VerifiedContent


def open_handling_file(user: Person, file_id: int) -> FileDownload:
    """A file's bytes for anyone who sees its 批办单; 404 for everyone else, 409 if the stored
    file no longer matches its SHA-256."""
    item = (
        HandlingFile.objects.select_related("case")
        .filter(pk=file_id, case__notice__organisation_id=user.organisation_id or 0)
        .first()
    )
    if item is None or not common.sees_case(user, item.case):
        raise not_found("file")
    try:
        content = open_verified(
            lambda: item.file.open("rb"),
            sha256=item.sha256,
            size=item.size,
            label=f"handling file {item.pk}",
        )
    except SealedFileAltered as exc:
        raise Conflict(
            "文件的 SHA-256 与上传时不符，已拒绝下载",
            "The file no longer matches the SHA-256 taken at upload; download refused",
            code="file_altered",
            field="file",
        ) from exc
    return FileDownload(item, content)
