"""归档: the sealed archive record of a notice, and the 件号 counters.

Rows are written once by ``workflows.services.archiving.archive_notice`` and never changed: the
model refuses updates and deletes, the admin and API are read-only, and a trigger refuses UPDATE
and DELETE (migration 0002). That migration also adds two generated bigram ``tsvector`` columns
with GIN indexes for search (see ``search.py``), which Django does not know.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from circulation.archive.codes import MAX_ITEM_NO, Retention
from circulation.archive.storage import sealed_storage
from circulation.records.models.notice import Secrecy


class SealedRecordError(Exception):
    """An attempt to change or delete a sealed archive record."""


class ArchivedRecordQuerySet(models.QuerySet["ArchivedRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise SealedRecordError("archived records cannot be changed (已归档记录不可修改)")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise SealedRecordError("archived records cannot be deleted (已归档记录不可删除)")


class ArchivedRecord(models.Model):
    notice = models.OneToOneField(
        "records.Notice",
        verbose_name=_("收文"),
        on_delete=models.PROTECT,
        related_name="archived_record",
    )
    organisation = models.ForeignKey(
        "records.Organisation", verbose_name=_("机关"), on_delete=models.PROTECT, related_name="+"
    )
    archival_code = models.CharField(_("档号"), max_length=64, unique=True)
    fonds_code = models.CharField(_("全宗号"), max_length=10)
    category = models.CharField(_("门类代码"), max_length=4, default="WS")
    year = models.PositiveIntegerField(_("年度"))
    retention = models.CharField(_("保管期限"), max_length=3, choices=Retention.choices)
    unit = models.ForeignKey(
        "records.Unit", verbose_name=_("机构（问题）"), on_delete=models.PROTECT, related_name="+"
    )
    unit_code = models.CharField(_("机构（问题）代码"), max_length=16)
    item_no = models.PositiveIntegerField(_("件号"))

    # Catalogue (归档文件目录) metadata, copied from the notice when it was sealed.
    doc_number = models.CharField(_("文号"), max_length=100)
    title = models.CharField(_("题名"), max_length=300)
    issuer = models.CharField(_("责任者"), max_length=200)
    issued_on = models.DateField(_("日期"))
    date_is_receipt = models.BooleanField(_("日期取自收文日期"), default=False)
    secrecy = models.CharField(_("密级"), max_length=16, choices=Secrecy.choices)
    remarks = models.CharField(_("备注"), max_length=200, blank=True)

    # The sealed PDF: the acknowledgement record with the 归档章 (and the organisation's PAdES
    # signature when a seal certificate is configured), stored write-once.
    file = models.FileField(_("归档文件"), storage=sealed_storage, max_length=300)
    page_count = models.PositiveIntegerField(_("页数"))
    record_sha256 = models.CharField(_("SHA-256"), max_length=64)
    record_size = models.PositiveBigIntegerField(_("大小"))
    rendition_sha256 = models.CharField(_("盖章前 SHA-256"), max_length=64)
    # SM3 (GB/T 32905, cited by DA/T 97-2023) of the sealed file, beside its SHA-256; empty for
    # records sealed before SM3 was stored. Each attachment's SM3 is in ``attachments``.
    record_sm3 = models.CharField(_("SM3"), max_length=64, blank=True, default="")
    # The organisation's PAdES signature in the sealed file (``signing.SignatureFacts``): signer,
    # certificate SHA-256, signing time, time-stamped, demo seal; empty when archived unsigned.
    signature = models.JSONField(_("电子签章"), default=dict, blank=True)
    attachments = models.JSONField(_("附件哈希"), default=list)
    # A 批办 notice's 处理笺 (阅办单), stamped with the same 归档章 and signed with the same seal,
    # sealed write-once beside the record; empty for a 阅知 notice.
    sheet_file = models.FileField(
        _("处理笺文件"), storage=sealed_storage, max_length=300, blank=True, default=""
    )
    sheet_sha256 = models.CharField(_("处理笺 SHA-256"), max_length=64, blank=True, default="")
    sheet_sm3 = models.CharField(_("处理笺 SM3"), max_length=64, blank=True, default="")
    sheet_size = models.PositiveBigIntegerField(_("处理笺大小"), null=True, blank=True)
    sheet_signature = models.JSONField(_("处理笺电子签章"), default=dict, blank=True)
    checks_report = models.JSONField(_("四性检测报告"), default=dict)
    row_sha256 = models.CharField(_("记录哈希"), max_length=64)

    # Normalised text for search (see search.normalise): 题名+文号, and everything.
    search_title = models.TextField(_("检索用题名"), editable=False)
    search_text = models.TextField(_("检索用全文"), editable=False)

    archived_at = models.DateTimeField(_("归档时间"))
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("归档人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ArchivedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("归档记录")
        verbose_name_plural = _("归档记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fonds_code", "category", "year", "retention", "unit_code", "item_no"],
                name="archive_item_no_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(item_no__gte=1, item_no__lte=MAX_ITEM_NO),
                name="archive_item_no_range",
            ),
            models.CheckConstraint(
                condition=models.Q(retention__in=Retention.values), name="archive_retention_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "year", "retention"], name="archive_org_year"),
            models.Index(fields=["organisation", "issuer"], name="archive_org_issuer"),
            models.Index(fields=["organisation", "unit_code"], name="archive_org_unit"),
        ]

    def __str__(self) -> str:
        return self.archival_code

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SealedRecordError("archived records cannot be changed (已归档记录不可修改)")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise SealedRecordError("archived records cannot be deleted (已归档记录不可删除)")

    @property
    def date_text(self) -> str:
        """日期 in the catalogue: eight digits, YYYYMMDD."""
        return self.issued_on.strftime("%Y%m%d")


class ItemCounter(models.Model):
    """The last 件号 used per 全宗-年度-保管期限-机构; locked while it is bumped, so numbers are
    gapless even when two archivists archive at once (a rolled-back archiving gives its number
    back with the transaction)."""

    fonds_code = models.CharField(_("全宗号"), max_length=10)
    year = models.PositiveIntegerField(_("年度"))
    retention = models.CharField(_("保管期限"), max_length=3, choices=Retention.choices)
    unit_code = models.CharField(_("机构（问题）代码"), max_length=16)
    last_value = models.PositiveIntegerField(_("最新件号"), default=0)

    class Meta:
        verbose_name = _("件号计数器")
        verbose_name_plural = _("件号计数器")
        constraints = [
            models.UniqueConstraint(
                fields=["fonds_code", "year", "retention", "unit_code"],
                name="archive_item_counter_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.fonds_code}·{self.year}-{self.retention}-{self.unit_code}: {self.last_value}"
