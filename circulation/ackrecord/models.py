"""One rendered PDF of a notice's acknowledgement record (阅知确认单).

A rendition is keyed by the SHA-256 of the record's data (``content_hash``): a notice has at most
one rendition per content hash, so the record is regenerated only when its data changed. When
the notice is archived its rendition is frozen and never regenerated (at most one per notice).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def rendition_path(instance: "RecordRendition", filename: str) -> str:
    """Never a client's name: ``records/<yyyy>/<rendition uuid>.pdf``."""
    generated = timezone.localtime(instance.generated_at or timezone.now())
    return f"records/{generated:%Y}/{instance.pk}.pdf"


class RecordRendition(models.Model):
    id = models.UUIDField(_("确认单编号"), primary_key=True, default=uuid.uuid4, editable=False)
    notice = models.ForeignKey(
        "records.Notice",
        verbose_name=_("收文"),
        on_delete=models.PROTECT,
        related_name="record_renditions",
    )
    content_hash = models.CharField(
        _("内容哈希"), max_length=64, help_text=_("记录数据规范 JSON 的 SHA-256")
    )
    file = models.FileField(_("文件"), upload_to=rendition_path, max_length=200)
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小"))
    page_count = models.PositiveIntegerField(_("页数"))
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    frozen = models.BooleanField(_("已冻结（归档）"), default=False)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("阅知确认单")
        verbose_name_plural = _("阅知确认单")
        ordering = ["notice", "-generated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "content_hash"], name="rendition_one_per_content_hash"
            ),
            models.UniqueConstraint(
                fields=["notice"],
                condition=models.Q(frozen=True),
                name="rendition_one_frozen_per_notice",
            ),
        ]
        indexes = [models.Index(fields=["notice", "-generated_at"], name="rendition_latest")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.id}"


class RenderRequest(models.Model):
    """A render of a notice's record handed to the worker and not finished yet: at most one per
    notice, so a render already queued is never queued twice (however many requests poll)."""

    notice = models.OneToOneField(
        "records.Notice",
        verbose_name=_("收文"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    content_hash = models.CharField(
        _("请求时的内容哈希"), max_length=64, blank=True, help_text=_("空：办结时排队")
    )
    queued_at = models.DateTimeField(_("排队时间"))
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    error = models.TextField(_("失败原因"), blank=True)

    class Meta:
        verbose_name = _("确认单生成请求")
        verbose_name_plural = _("确认单生成请求")

    def __str__(self) -> str:
        return f"{self.notice_id} {self.queued_at:%Y-%m-%d %H:%M:%S}"
