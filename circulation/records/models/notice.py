"""收文 (Notice), its registration counter, and its circulation rounds (传阅)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from circulation.records.roles import NOTICE_PERMISSIONS, meta_permissions
from workflows.machines import NoticeMachine, NoticeState


class Secrecy(models.TextChoices):
    """密级 allowed on this system. 秘密/机密/绝密 are refused before a record is made."""

    PUBLIC = "public", _("公开")
    INTERNAL = "internal", _("内部")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("平件")
    URGENT = "urgent", _("加急")
    EXTRA_URGENT = "extra_urgent", _("特急")


class Handling(models.TextChoices):
    READ = "read", _("阅知")
    ACTION = "action", _("批办")


class Notice(NoticeMachine):
    organisation = models.ForeignKey(
        "records.Organisation", verbose_name=_("机关"), on_delete=models.PROTECT
    )
    # 发文字号 (GB/T 9704-2012 7.2.5): canonical form, what was typed, and its parts.
    doc_number = models.CharField(_("发文字号"), max_length=100)
    doc_number_original = models.CharField(_("原始文号"), max_length=200)
    doc_number_corrections = models.JSONField(_("文号更正"), default=list, blank=True)
    issuer_code = models.CharField(_("机关代字"), max_length=50)
    year = models.PositiveIntegerField(_("年份"))
    serial = models.PositiveIntegerField(_("发文顺序号"))

    title = models.CharField(_("标题"), max_length=300)
    issuer = models.CharField(_("发文机关"), max_length=200)
    doc_type = models.CharField(_("文种"), max_length=20, blank=True)
    issued_on = models.DateField(_("成文日期"), null=True, blank=True)
    secrecy = models.CharField(_("密级"), max_length=16, choices=Secrecy.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    handling = models.CharField(
        _("办理类型"), max_length=16, choices=Handling.choices, default=Handling.READ
    )
    addressees = models.CharField(_("主送机关"), max_length=300, blank=True)
    forwards = models.JSONField(_("转发文件"), default=list, blank=True)
    instruction = models.TextField(_("传阅要求"), blank=True)
    body = models.TextField(_("正文"), blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)

    received_at = models.DateTimeField(_("签收时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        on_delete=models.PROTECT,
        related_name="received_notices",
    )
    registration_year = models.PositiveIntegerField(_("登记年度"), null=True, blank=True)
    registration_seq = models.PositiveIntegerField(_("登记序号"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    closing_reason = models.TextField(_("退回/撤回原因"), blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("收文")
        verbose_name_plural = _("收文")
        ordering = ["-received_at", "-id"]
        permissions = meta_permissions(NOTICE_PERMISSIONS)
        constraints = [
            # Variants of one 发文字号 are the same document. A notice returned to its sender at
            # 初审 no longer blocks the corrected one that comes back.
            models.UniqueConstraint(
                fields=["organisation", "issuer_code", "year", "serial"],
                condition=~models.Q(state=NoticeState.RETURNED),
                name="notice_doc_number_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "registration_year", "registration_seq"],
                name="notice_registration_no_unique",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"], name="notice_org_state")]

    def __str__(self) -> str:
        return f"{self.doc_number} {self.title}"

    @property
    def registration_no(self) -> str | None:
        """收文登记号, e.g. 收〔2026〕0007号 — sequential per organisation and year."""
        if self.registration_seq is None:
            return None
        return f"收〔{self.registration_year}〕{self.registration_seq:04d}号"


class RegistrationCounter(models.Model):
    """Last registration number used per organisation and year; locked while it is bumped."""

    organisation = models.ForeignKey(
        "records.Organisation", verbose_name=_("机关"), on_delete=models.CASCADE
    )
    year = models.PositiveIntegerField(_("年度"))
    last_value = models.PositiveIntegerField(_("最新序号"), default=0)

    class Meta:
        verbose_name = _("收文登记号计数器")
        verbose_name_plural = _("收文登记号计数器")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"], name="registration_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last_value}"


class CirculationRound(models.Model):
    """One forward action (传阅/补发): who forwarded, to whom, the instruction, the deadline."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("收文"), on_delete=models.PROTECT, related_name="rounds"
    )
    number = models.PositiveIntegerField(_("轮次"))
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("传阅人"), on_delete=models.PROTECT
    )
    forwarded_at = models.DateTimeField(_("传阅时间"))
    instruction = models.TextField(_("传阅要求"), blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    calendar_note = models.TextField(_("日历说明"), blank=True)
    units = models.ManyToManyField("records.Unit", verbose_name=_("机构"), blank=True)
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        blank=True,
        related_name="+",
    )
    recipients_added = models.PositiveIntegerField(_("新增接收人数"), default=0)

    class Meta:
        verbose_name = _("传阅轮次")
        verbose_name_plural = _("传阅轮次")
        ordering = ["notice", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="round_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice.doc_number} #{self.number}"
