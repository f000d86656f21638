"""Append-only, hash-chained audit events (审计日志).

Each event stores the previous event's hash and a SHA-256 over its own canonical JSON; the chain
head (a single row, locked while an event is appended) holds the last sequence number and hash,
so that an edited, deleted or truncated event is detected by
``circulation.records.audit.verify_chain``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """Every action an audit event records: its stored code (``notice.forwarded``, what the API
    and the admin show) and its Chinese name. A new kind of event is a new member here; services
    pass the member to ``append_event``, never a string literal."""

    NOTICE_RECEIVED = "notice.received", _("签收")
    NOTICE_REGISTERED = "notice.registered", _("登记")
    NOTICE_RETURNED = "notice.returned", _("初审退回")
    NOTICE_ATTACHMENT_ADDED = "notice.attachment_added", _("上传附件")
    NOTICE_FORWARDED = "notice.forwarded", _("传阅")
    NOTICE_REMINDED = "notice.reminded", _("催办")
    NOTICE_ESCALATED = "notice.escalated", _("催办升级")
    NOTICE_WITHDRAWN = "notice.withdrawn", _("撤回")
    NOTICE_COMPLETED = "notice.completed", _("办结")
    NOTICE_ARCHIVED = "notice.archived", _("归档")
    HANDLING_PROPOSED = "handling.proposed", _("拟办")
    HANDLING_INSTRUCTED = "handling.instructed", _("领导批示")
    HANDLING_UNDERTAKING = "handling.undertaking", _("交办承办")
    HANDLING_ACCEPTED = "handling.accepted", _("接收承办")
    HANDLING_RESULT_RECORDED = "handling.result_recorded", _("登记办理结果")
    HANDLING_AWAITING_REPLY = "handling.awaiting_reply", _("待答复")
    HANDLING_REPLY_RECORDED = "handling.reply_recorded", _("登记答复")
    HANDLING_DONE = "handling.done", _("办毕")
    HANDLING_FILE_ADDED = "handling.file_added", _("上传办理附件")
    ACK_READ = "ack.read", _("已阅")
    ACK_CONFIRMED = "ack.confirmed", _("确认阅知")
    ACK_RETURNED = "ack.returned", _("退回阅知")
    ACK_RECALLED = "ack.recalled", _("撤回接收人")
    RECORD_GENERATED = "record.generated", _("生成阅知确认单")
    RECORD_FROZEN = "record.frozen", _("冻结阅知确认单")
    RECORD_DOWNLOADED = "record.downloaded", _("下载阅知确认单")
    RECORD_SHEET_DOWNLOADED = "record.sheet_downloaded", _("下载处理笺")
    ARCHIVE_DOWNLOADED = "archive.downloaded", _("下载归档文件")
    ARCHIVE_VERIFIED = "archive.verified", _("校验归档文件")
    DELEGATION_APPOINTED = "delegation.appointed", _("设置代理")
    DELEGATION_CANCELLED = "delegation.cancelled", _("取消代理")
    AUTH_LOCKED_OUT = "auth.locked_out", _("账号锁定")

    @classmethod
    def label_of(cls, code: str) -> str:
        """The name of a stored code in the current language; an unknown code as it is."""
        try:
            return str(cls(code).label)
        except ValueError:
            return code


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=64)
    notice = models.ForeignKey(
        "records.Notice",
        verbose_name=_("收文"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["seq"]
        indexes = [models.Index(fields=["notice", "seq"], name="audit_notice_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The single row that serialises appends to the chain and remembers its tip."""

    last_seq = models.PositiveBigIntegerField(_("最新序号"), default=0)
    last_hash = models.CharField(_("最新哈希"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"
