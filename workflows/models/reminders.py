"""催办: the per-organisation policy, the reminders decided by the sweep, manual reminders, and the
log of sweep runs (what makes the sweep safe to re-run and /healthz able to tell its age)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderPolicy(models.Model):
    """How and when an organisation's recipients are chased. Defaults are sensible for a bureau."""

    organisation = models.OneToOneField(
        "records.Organisation",
        verbose_name=_("机关"),
        on_delete=models.CASCADE,
        related_name="reminder_policy",
    )
    enabled = models.BooleanField(_("启用自动催办"), default=True)
    due_soon_working_days = models.PositiveSmallIntegerField(_("到期前提醒（工作日）"), default=1)
    overdue_every_working_days = models.PositiveSmallIntegerField(
        _("逾期后每隔几个工作日提醒"), default=1
    )
    escalate_to_head_after = models.PositiveSmallIntegerField(
        _("逾期提醒几次后升级至机构负责人"), default=2
    )
    escalate_to_clerk_after = models.PositiveSmallIntegerField(
        _("逾期提醒几次后升级至收发员"), default=4
    )
    urgent_cadence_hours = models.PositiveSmallIntegerField(
        _("加急件催办间隔（工作小时）"), default=4
    )
    extra_urgent_cadence_hours = models.PositiveSmallIntegerField(
        _("特急件催办间隔（工作小时）"), default=2
    )
    manual_remind_interval_minutes = models.PositiveSmallIntegerField(
        _("人工催办最短间隔（分钟）"), default=30
    )
    max_delivery_attempts = models.PositiveSmallIntegerField(_("最多投递次数"), default=6)

    class Meta:
        verbose_name = _("催办规则")
        verbose_name_plural = _("催办规则")

    def __str__(self) -> str:
        return f"{self.organisation} 催办规则"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    DUE_TODAY = "due_today", _("今日到期")
    OVERDUE = "overdue", _("已逾期")
    ESCALATION_HEAD = "escalation_head", _("升级至机构负责人")
    ESCALATION_CLERK = "escalation_clerk", _("升级至收发员")
    MANUAL = "manual", _("人工催办")


class ReminderDecision(models.Model):
    """What every reminder decision says: about which notice, what kind, in which window, told
    to whom and when (the acknowledgements' and the 承办's share it)."""

    notice = models.ForeignKey(
        "records.Notice", verbose_name=_("收文"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=ReminderKind.choices)
    window_key = models.CharField(_("时间窗"), max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提醒对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        abstract = True


class Reminder(ReminderDecision):
    """One decision that an acknowledgement needs chasing, told to ``recipient``.

    Unique per (acknowledgement, kind, window): a second sweep, a redelivered task or a second
    beat cannot decide the same reminder twice. ``digest`` is set when it is put in a message.
    """

    acknowledgement = models.ForeignKey(
        "records.Acknowledgement",
        verbose_name=_("阅知确认"),
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    digest = models.ForeignKey(
        "workflows.Digest",
        verbose_name=_("催办汇总"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )

    class Meta:
        verbose_name = _("催办记录")
        verbose_name_plural = _("催办记录")
        constraints = [
            models.UniqueConstraint(
                fields=["acknowledgement", "kind", "window_key"], name="reminder_once_per_window"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(digest__isnull=True),
                name="reminder_undigested",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.window_key} ack {self.acknowledgement_id}"


class ManualRemind(models.Model):
    """人工催办 by the clerk (per notice) or a unit head (per notice and unit): rate-limited,
    recorded like any reminder."""

    notice = models.ForeignKey(
        "records.Notice", verbose_name=_("收文"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("催办人"), on_delete=models.PROTECT
    )
    requested_at = models.DateTimeField(_("催办时间"))
    recipients = models.PositiveIntegerField(_("催办人数"), default=0)
    # Empty for the clerk's 催办 of every open recipient; a unit head's reminds their unit only.
    unit = models.ForeignKey(
        "records.Unit",
        verbose_name=_("机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("人工催办")
        verbose_name_plural = _("人工催办")
        indexes = [models.Index(fields=["notice", "-requested_at"], name="manual_remind_recent")]

    def __str__(self) -> str:
        return f"{self.notice_id} @ {self.requested_at:%Y-%m-%d %H:%M}"


class SweepRun(models.Model):
    """One run of a periodic sweep (reminders or the outbox dispatcher)."""

    kind = models.CharField(
        _("类型"),
        max_length=20,
        choices=[("reminders", _("催办扫描")), ("dispatch", _("消息投递"))],
    )
    started_at = models.DateTimeField(_("开始"))
    finished_at = models.DateTimeField(_("结束"), null=True, blank=True)
    as_of = models.DateTimeField(_("按此时间计算"))
    skipped_reason = models.CharField(_("跳过原因"), max_length=100, blank=True)
    claimed = models.PositiveIntegerField(_("认领"), default=0)
    reminders = models.PositiveIntegerField(_("生成催办"), default=0)
    digests = models.PositiveIntegerField(_("生成消息"), default=0)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("扫描记录")
        verbose_name_plural = _("扫描记录")
        indexes = [models.Index(fields=["kind", "-started_at"], name="sweeprun_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class AssignmentReminder(ReminderDecision):
    """One decision that an open 承办 needs chasing, told to ``recipient`` (a person of the unit,
    or the clerk who proposed the 批办 for an escalation).

    Unique per (assignment, kind, window, recipient): a second sweep cannot decide the same
    reminder twice. ``digest`` is set when it is put in the person's digest, beside their
    acknowledgements' reminders.
    """

    assignment = models.ForeignKey(
        "records.Assignment",
        verbose_name=_("承办"),
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    digest = models.ForeignKey(
        "workflows.Digest",
        verbose_name=_("催办汇总"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignment_reminders",
    )

    class Meta:
        verbose_name = _("承办催办记录")
        verbose_name_plural = _("承办催办记录")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "window_key", "recipient"],
                name="assignment_reminder_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(digest__isnull=True),
                name="assignment_reminder_undigested",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.window_key} assignment {self.assignment_id}"
