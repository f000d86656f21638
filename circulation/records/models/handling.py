"""批办 (handling = action): the 拟办意见 and its case, each leader's 批示, each unit's 承办,
the 答复.

Why the handling objects carry their own state machines instead of new Notice states: the
Notice's states (登记 → 传阅中 → 办结 → 归档, 撤回) drive the reminder sweep, the board, the
record and the archive, and a 批办 notice goes through all of them as a 阅知 one does — its
readers get ordinary acknowledgements. What 批办 adds happens *beside* circulation: the case
(:class:`HandlingCase`, 待批示 → 承办中 → 待答复 → 已办毕) holds the notice in 已登记 until
every named leader has answered, then the notice circulates and completes only when the case
is 已办毕 and no acknowledgement is open (``workflows.services.completion``). A 阅知 notice has
no case and behaves exactly as before.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.records.roles import HANDLING_PERMISSIONS, meta_permissions
from workflows.machines import (
    AssignmentMachine,
    AssignmentState,
    HandlingMachine,
    InstructionMachine,
    InstructionState,
)


class HandlingCase(HandlingMachine):
    """批办单: one per 批办 notice, with its 拟办意见 (what the clerk or director proposed)."""

    notice = models.OneToOneField(
        "records.Notice",
        verbose_name=_("收文"),
        on_delete=models.PROTECT,
        related_name="handling_case",
    )
    proposal = models.TextField(_("拟办意见"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("拟办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("拟办时间"))
    # What the 拟办意见 proposes; a 批示 may change them (the latest such 批示 wins).
    lead_unit = models.ForeignKey(
        "records.Unit",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_units = models.ManyToManyField(
        "records.Unit", verbose_name=_("协办单位"), blank=True, related_name="+"
    )
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("传阅人员"), blank=True, related_name="+"
    )
    due_working_days = models.PositiveSmallIntegerField(_("承办时限（工作日）"))
    reply_expected = models.BooleanField(_("需要答复"), default=False)
    skip_agree_notice = models.BooleanField(
        _("领导仅同意拟办意见时不通知我"),
        default=False,
    )
    undertaking_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("办毕时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批办单")
        verbose_name_plural = _("批办单")
        ordering = ["-proposed_at", "-id"]
        permissions = meta_permissions(HANDLING_PERMISSIONS)
        indexes = [models.Index(fields=["state"], name="handling_case_state")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.state}"


class InstructionKind(models.TextChoices):
    TEXT = "text", _("批示")
    AGREE = "agree", _("同意拟办意见")
    CIRCLE = "circle", _("圈阅")


class Instruction(InstructionMachine):
    """批示 of one leader named in the 拟办意见 (created 待批示 when the 拟办意见 is sent)."""

    case = models.ForeignKey(
        HandlingCase,
        verbose_name=_("批办单"),
        on_delete=models.PROTECT,
        related_name="instructions",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领导"),
        on_delete=models.PROTECT,
        related_name="instructions",
    )
    kind = models.CharField(
        _("批示类型"), max_length=8, choices=InstructionKind.choices, blank=True
    )
    text = models.TextField(_("批示内容"), blank=True)
    # Set only when this 批示 changes them (NULL / False: as proposed).
    lead_unit = models.ForeignKey(
        "records.Unit",
        verbose_name=_("改定承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_units_changed = models.BooleanField(_("改定协办单位"), default=False)
    co_units = models.ManyToManyField(
        "records.Unit", verbose_name=_("协办单位"), blank=True, related_name="+"
    )
    readers_changed = models.BooleanField(_("改定传阅人员"), default=False)
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("传阅人员"), blank=True, related_name="+"
    )
    given_at = models.DateTimeField(_("批示时间"), null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("代理时为代理人，否则为领导本人"),
    )

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "leader"], name="instruction_one_per_leader")
        ]
        indexes = [
            models.Index(
                fields=["leader", "case"],
                name="instruction_pending",
                condition=models.Q(state=InstructionState.PENDING),
            ),
            # A leader's inbox (pending_instructions): the 待批示 items in the order they were
            # sent (id), walked until a page is full. ``leader_id = ANY(<self and principals>)``
            # (代理) cannot take its order from a (leader, id) index on PostgreSQL 15, so the
            # walk is over all pending ids, the leader filtered on the way.
            models.Index(
                fields=["id", "leader"],
                name="instruction_pending_order",
                condition=models.Q(state=InstructionState.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.leader_id} {self.state}"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class Assignment(AssignmentMachine):
    """承办 of one unit: the lead unit (主办) records the 办理结果 the case waits for; co-units
    (协办) add their parts."""

    case = models.ForeignKey(
        HandlingCase,
        verbose_name=_("批办单"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    unit = models.ForeignKey(
        "records.Unit", verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("承办角色"), max_length=8, choices=AssignmentRole.choices)
    due_at = models.DateTimeField(_("办理时限"))
    calendar_note = models.TextField(_("日历说明"), blank=True)
    assigned_at = models.DateTimeField(_("交办时间"))
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("办理结果"), blank=True)
    result_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    result_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("承办")
        verbose_name_plural = _("承办")
        ordering = ["case", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "unit"], name="assignment_one_per_unit"),
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(role=AssignmentRole.LEAD),
                name="assignment_one_lead",
            ),
        ]
        indexes = [
            models.Index(
                fields=["unit", "due_at"],
                name="assignment_open",
                condition=~models.Q(state=AssignmentState.RESULTED),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.unit_id} {self.role} {self.state}"


class ReplyChannel(models.TextChoices):
    EXCHANGE = "exchange", _("公文交换")
    SYSTEM = "system", _("电子公文系统")
    POST = "post", _("邮寄")
    FAX = "fax", _("传真")
    EMAIL = "email", _("电子邮件")
    PHONE = "phone", _("电话")
    OTHER = "other", _("其他")


class Reply(models.Model):
    """答复 to the sending organisation, recorded by the clerk."""

    case = models.ForeignKey(
        HandlingCase, verbose_name=_("批办单"), on_delete=models.PROTECT, related_name="replies"
    )
    text = models.TextField(_("答复内容"))
    replied_on = models.DateField(_("答复日期"))
    channel = models.CharField(_("答复方式"), max_length=16, choices=ReplyChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.replied_on}"


def handling_file_path(instance: "HandlingFile", filename: str) -> str:
    """Never the client's name: year/month/uuid plus the sniffed extension."""
    now = timezone.localtime()
    return f"handling/{now:%Y/%m}/{uuid.uuid4().hex}.{instance.extension}"


class HandlingFile(models.Model):
    """A file of a 承办 unit's 办理结果 or of a 答复 — not one of the received document's
    附件 (``Attachment``), which the 阅知确认单 and the archive's 完整性 check list as the
    document itself. Checked and stored like them: sniffed content, SHA-256, generated name."""

    case = models.ForeignKey(
        HandlingCase, verbose_name=_("批办单"), on_delete=models.PROTECT, related_name="files"
    )
    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("承办"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    reply = models.ForeignKey(
        Reply,
        verbose_name=_("答复"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    file = models.FileField(_("文件"), upload_to=handling_file_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    extension = models.CharField(_("类型"), max_length=10)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办理附件")
        verbose_name_plural = _("办理附件")
        ordering = ["case", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assignment__isnull=False, reply__isnull=True)
                | models.Q(assignment__isnull=True, reply__isnull=False),
                name="handling_file_of_result_or_reply",
            )
        ]

    def __str__(self) -> str:
        return self.original_name
