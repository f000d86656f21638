"""Delivery: a digest per person per window, its outbox messages per channel, every delivery
attempt, in-app notifications, group-robot webhooks (企业微信/钉钉) and personal preferences."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Digest(models.Model):
    """One message's worth of reminders for one person in one window (7 late notices → 1 digest)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    window_key = models.CharField(_("时间窗"), max_length=40)
    created_at = models.DateTimeField(_("生成时间"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))

    class Meta:
        verbose_name = _("催办汇总")
        verbose_name_plural = _("催办汇总")
        indexes = [models.Index(fields=["recipient", "-created_at"], name="digest_recent")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.window_key}"


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    RETRY = "retry", _("待重试")
    FAILED = "failed", _("发送失败")


class Message(models.Model):
    """The transactional outbox: written with the digest, sent by a delivery task.

    ``lease_until`` marks a claim by a worker; a worker killed mid-delivery leaves a lease that
    expires, and the dispatcher hands the message out again.
    """

    digest = models.ForeignKey(
        Digest, verbose_name=_("催办汇总"), on_delete=models.PROTECT, related_name="messages"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("地址"), max_length=500)
    webhook = models.ForeignKey(
        "workflows.WebhookChannel",
        verbose_name=_("群机器人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    subject = models.CharField(_("主题"), max_length=200)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    lease_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "channel", "address"], name="message_once_per_digest_channel"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address} ({self.status})"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    at = models.DateTimeField(_("时间"))
    ok = models.BooleanField(_("成功"))
    error = models.TextField(_("错误"), blank=True)
    retry_at = models.DateTimeField(_("重试时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["message", "at"]

    def __str__(self) -> str:
        return f"{self.message_id} {'ok' if self.ok else 'failed'} {self.at:%Y-%m-%d %H:%M:%S}"


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", _("催办")  # reminders and escalations (the sweep, manual 催办)
    FORWARDED = "forwarded", _("传阅通知")  # a notice was forwarded to the person
    RETURNED = "returned", _("退回通知")  # a recipient returned a notice the person forwarded


class Notification(models.Model):
    """In-app notification (站内通知), written in the same transaction as its digest."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # db_default: the digest writer's single INSERT … SELECT may leave the column out.
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=NotificationKind.choices,
        default=NotificationKind.REMINDER,
        db_default=NotificationKind.REMINDER,
    )
    digest = models.OneToOneField(
        Digest,
        verbose_name=_("催办汇总"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notification",
    )
    notice = models.ForeignKey(
        "records.Notice",
        verbose_name=_("收文"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")


class WebhookChannel(models.Model):
    """A group robot (群机器人) of a unit, or of the whole organisation when ``unit`` is empty."""

    organisation = models.ForeignKey(
        "records.Organisation", verbose_name=_("机关"), on_delete=models.CASCADE
    )
    unit = models.ForeignKey(
        "records.Unit",
        verbose_name=_("机构"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("为空表示整个机关的群机器人"),
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=WebhookKind.choices)
    url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    """个人通知偏好. In-app notifications are always on; email can be turned off."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("邮件提醒"), default=True)
    group_robot = models.BooleanField(_("在群机器人消息中点名"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.person} 通知偏好"
