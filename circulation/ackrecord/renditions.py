"""The 阅知确认单's renditions: the current record of a notice, rendered and stored, frozen for the
archive (downloads are audited by ``workflows.services.downloads``).

``current_record`` is safe to call from a Celery task or the archive (the web request goes through
``circulation.ackrecord.serving``, which renders only small records itself), any number
of times and concurrently: the record's data is read with the notice row locked (briefly, never
during the render), hashed, and rendered only when no rendition has that content hash. The render
itself runs outside any transaction and lock; the new row is inserted in a short transaction and
the unique constraint (notice, content_hash) settles a race: the loser removes its file and
returns the winner's rendition. Storing a rendition prunes the unfrozen ones it supersedes.
"""

import hashlib
import logging
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from circulation.ackrecord.data import RecordData, collect_record_data, content_hash
from circulation.ackrecord.fonts import FontUnavailable, MissingGlyphs
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.render import EmbeddedFile, embedded_name, render_record
from circulation.ackrecord.sandbox import SandboxError
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, DomainError
from circulation.records.models import Attachment, AuditAction, Notice
from workflows.machines import NoticeState

logger = logging.getLogger(__name__)


class RecordUnavailable(DomainError):
    """503: the record could not be rendered now (time or memory limit, fonts missing)."""

    status = 503


def _latest(notice_id: int, digest: str) -> RecordRendition | None:
    """The frozen rendition if there is one, else the rendition with this content hash."""
    frozen = RecordRendition.objects.filter(notice_id=notice_id, frozen=True).first()
    if frozen is not None:
        return frozen
    return RecordRendition.objects.filter(notice_id=notice_id, content_hash=digest).first()


def _attachment_files(data: RecordData) -> list[EmbeddedFile]:
    """The original attachments, each checked against its stored SHA-256 before embedding."""
    files: list[EmbeddedFile] = []
    ids = [a["id"] for a in data["attachments"]]
    stored = {a.pk: a for a in Attachment.objects.filter(pk__in=ids)}
    for index, item in enumerate(data["attachments"], start=1):
        attachment = stored[item["id"]]
        with attachment.file.open("rb") as handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != attachment.sha256:
            raise Conflict(
                f"附件“{attachment.original_name}”的内容与登记时的 SHA-256 不符，不能生成确认单",
                f"Attachment {attachment.pk} no longer matches its recorded SHA-256",
                code="attachment_altered",
                extra={"attachment_id": attachment.pk},
            )
        files.append(
            EmbeddedFile(
                name=embedded_name(index, attachment.extension),
                content=content,
                description=f"附件 {index}：{attachment.original_name}"
                f"（SHA-256 {attachment.sha256}）",
                relationship="Source",
                modified=attachment.uploaded_at,
            )
        )
    return files


def _render_failure(exc: Exception) -> DomainError:
    if isinstance(exc, MissingGlyphs):
        return Conflict(
            "确认单中有字体无法显示的字符：" + "、".join(exc.codepoints) + "。请修改相关内容后重试",
            f"The record contains characters its font cannot show: {', '.join(exc.codepoints)}",
            code="missing_glyphs",
            extra={"characters": exc.codepoints},
        )
    return RecordUnavailable(
        "确认单暂时无法生成，请稍后重试",
        f"The record could not be rendered: {exc}",
        code="render_failed",
    )


def snapshot(notice_id: int) -> tuple[RecordData, str, RecordRendition | None]:
    """The record's data, its content hash and the rendition to serve for it (if stored), read
    with the notice row locked. Runs in the caller's transaction or its own."""
    with transaction.atomic(savepoint=False):
        data = collect_record_data(notice_id, lock=True)
        digest = content_hash(data)
        return data, digest, _latest(notice_id, digest)


def current_record(
    notice: Notice, *, actor: Actor | None = None, timeout: float | None = None
) -> RecordRendition:
    """The notice's up-to-date record: the frozen one, the one for the current data, or a new one.

    Call it outside any transaction (it renders, which takes up to seconds). Raises
    ``Conflict`` (code ``attachment_altered``) when the record cannot be made from the data,
    ``RecordUnavailable`` when the render failed or hit its limits (``timeout`` seconds, default
    ``RECORD_RENDER_TIMEOUT``).
    """
    with transaction.atomic(durable=True):
        data, digest, existing = snapshot(notice.pk)
    if existing is not None:
        return existing
    return render_and_store(notice.pk, data, digest, actor=actor, timeout=timeout)


def render_and_store(
    notice_id: int,
    data: RecordData,
    digest: str,
    *,
    actor: Actor | None = None,
    timeout: float | None = None,
) -> RecordRendition:
    """Render ``data`` (hash ``digest``), store it, prune the renditions it supersedes."""
    rendition = RecordRendition(
        id=uuid.uuid4(),
        notice_id=notice_id,
        content_hash=digest,
        generated_at=timezone.now(),
        generated_by=actor.user if actor else None,
    )
    try:
        rendered = render_record(
            data,
            rendition_id=rendition.id,
            generated_at=rendition.generated_at,
            content_hash=digest,
            attachments=_attachment_files(data),
            timeout=timeout,
        )
    except (MissingGlyphs, SandboxError, FontUnavailable) as exc:
        logger.warning("record of notice %s not rendered: %s", notice_id, exc)
        raise _render_failure(exc) from exc

    rendition.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
    rendition.size = len(rendered.pdf)
    rendition.page_count = rendered.page_count
    rendition.file.save(f"{rendition.id}.pdf", ContentFile(rendered.pdf), save=False)
    try:
        with transaction.atomic(durable=True):
            Notice.objects.select_for_update(no_key=True).filter(pk=notice_id).first()
            winner = _latest(notice_id, digest)
            if winner is None:
                rendition.save(force_insert=True)
                pruned = _prune_superseded(rendition)
                append_event(
                    actor,
                    AuditAction.RECORD_GENERATED,
                    rendition,
                    notice_id=notice_id,
                    data={
                        "rendition": str(rendition.id),
                        "content_hash": digest,
                        "sha256": rendition.sha256,
                        "size": rendition.size,
                        "pages": rendition.page_count,
                        **({"superseded": pruned} if pruned else {}),
                    },
                )
    except IntegrityError:
        winner = _latest(notice_id, digest)
        if winner is None:
            rendition.file.delete(save=False)
            raise
    except BaseException:
        rendition.file.delete(save=False)
        raise
    if winner is not None:  # someone else stored this content (or froze a record) meanwhile
        rendition.file.delete(save=False)
        return winner
    return rendition


def _prune_superseded(rendition: RecordRendition) -> list[str]:
    """Delete (rows now, files after the commit) the notice's unfrozen renditions generated
    before ``rendition``: storage does not grow with every change. Never a frozen rendition, and
    nothing of an archived notice (its renditions are sealed). The notice row is locked."""
    superseded = (
        RecordRendition.objects.filter(
            notice_id=rendition.notice_id,
            frozen=False,
            generated_at__lt=rendition.generated_at,
        )
        .exclude(pk=rendition.pk)
        .exclude(notice__state=NoticeState.ARCHIVED)
    )
    gone = list(superseded.values_list("pk", "file"))
    if not gone:
        return []
    RecordRendition.objects.filter(pk__in=[pk for pk, _ in gone]).delete()
    storage = rendition.file.storage
    names = [name for _, name in gone if name]

    def delete_files() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("could not delete the superseded record file %s", name)

    transaction.on_commit(delete_files)
    return [str(pk) for pk, _ in gone]


def _stale_record() -> Conflict:
    return Conflict(
        "确认单生成后数据已变化，请重新生成后再归档",
        "The record's data changed after it was rendered; get the current record again",
        code="stale_record",
    )


def verify_rendition(rendition: RecordRendition) -> bool:
    """Does the stored file still have the SHA-256 recorded when it was generated?"""
    digest = hashlib.sha256()
    try:
        with rendition.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except (FileNotFoundError, ValueError):
        return False
    return digest.hexdigest() == rendition.sha256


def freeze_record(rendition: RecordRendition, *, actor: Actor | None = None) -> RecordRendition:
    """Freeze a rendition for the archive: it is then served for ever and never regenerated.

    Runs inside the caller's transaction (the archive's), or its own. Locks the notice row, and
    refuses (``Conflict``) a rendition that is no longer current (the data changed since it was
    rendered: call ``current_record`` again), whose file does not match its SHA-256, or when
    another rendition of the notice is already frozen. Freezing a frozen rendition is a no-op.
    """
    with transaction.atomic():
        Notice.objects.select_for_update(no_key=True).filter(pk=rendition.notice_id).first()
        locked = RecordRendition.objects.select_for_update().filter(pk=rendition.pk).first()
        if locked is None:  # superseded by a newer rendition (and pruned) meanwhile
            raise _stale_record()
        if locked.frozen:
            return locked
        other = RecordRendition.objects.filter(notice_id=locked.notice_id, frozen=True).first()
        if other is not None:
            raise Conflict(
                "该收文已有冻结的确认单",
                "Another record of this notice is frozen",
                code="already_frozen",
                extra={"rendition_id": str(other.pk)},
            )
        if content_hash(collect_record_data(locked.notice_id)) != locked.content_hash:
            raise _stale_record()
        if not verify_rendition(locked):
            raise Conflict(
                "确认单文件与记录的 SHA-256 不符",
                "The record file does not match its SHA-256",
                code="record_altered",
            )
        locked.frozen = True
        locked.frozen_at = timezone.now()
        locked.save(update_fields=["frozen", "frozen_at"])
        append_event(
            actor,
            AuditAction.RECORD_FROZEN,
            locked,
            notice_id=locked.notice_id,
            data={"rendition": str(locked.pk), "sha256": locked.sha256},
        )
    return locked
