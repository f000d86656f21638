"""阅知确认: one per recipient person per notice."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.machines import AcknowledgementMachine


class ConfirmMethod(models.TextChoices):
    SESSION = "session", _("登录会话")
    TOKEN = "token", _("API 令牌")
    PASSWORD = "password", _("重新输入密码")
    ADMIN = "admin", _("管理后台")


class Acknowledgement(AcknowledgementMachine):
    notice = models.ForeignKey(
        "records.Notice",
        verbose_name=_("收文"),
        on_delete=models.PROTECT,
        related_name="acknowledgements",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        related_name="acknowledgements",
    )
    unit = models.ForeignKey(
        "records.Unit",
        verbose_name=_("所在机构（传阅时）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    round = models.ForeignKey(
        "records.CirculationRound",
        verbose_name=_("传阅轮次"),
        on_delete=models.PROTECT,
        related_name="acknowledgements",
    )
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    opened_at = models.DateTimeField(_("首次打开"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    comment = models.TextField(_("学习体会"), blank=True)
    confirm_method = models.CharField(
        _("确认方式"), max_length=16, choices=ConfirmMethod.choices, blank=True
    )
    confirm_ip = models.GenericIPAddressField(_("确认 IP"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # 代理: who answered for the recipient (their delegate), blank when the recipient did.
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代为办理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reminders_sent = models.PositiveIntegerField(_("催办次数"), default=0)
    escalations = models.PositiveIntegerField(_("升级次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("阅知确认")
        verbose_name_plural = _("阅知确认")
        ordering = ["notice", "id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "person"], name="ack_one_per_person"),
        ]
        indexes = [
            models.Index(fields=["person", "state"], name="ack_person_state"),
            models.Index(fields=["notice", "state"], name="ack_notice_state"),
            models.Index(fields=["state", "due_at"], name="ack_state_due"),
            # The board's 逾期 filter: one probe per open notice (docs/benchmarks.md, web pages).
            models.Index(
                fields=["notice", "due_at"],
                name="ack_open_notice_due",
                condition=models.Q(state__in=["pending", "read"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.person_id} {self.state}"
