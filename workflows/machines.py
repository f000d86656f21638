"""The two state machines of design.md §3, as abstract model mixins (django-fsm-2).

Transitions only change state in memory: the service functions in ``workflows.services`` lock the
row, call the transition, save, write the audit event and schedule side effects on commit.
This module imports nothing of ours, so the records models can inherit from it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class NoticeState(models.TextChoices):
    RECEIVED = "received", _("已签收")
    REGISTERED = "registered", _("已登记")
    CIRCULATING = "circulating", _("传阅中")
    COMPLETED = "completed", _("已办结")
    ARCHIVED = "archived", _("已归档")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class AckState(models.TextChoices):
    PENDING = "pending", _("待阅")
    READ = "read", _("已阅")
    CONFIRMED = "confirmed", _("已确认")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已取消")


ACK_OPEN_STATES = (AckState.PENDING, AckState.READ)
ACK_TERMINAL_STATES = (AckState.CONFIRMED, AckState.RETURNED, AckState.CANCELLED)


class NoticeMachine(FSMModelMixin, models.Model):
    """收文: 签收 → 登记 → 传阅中 → 办结 → 归档, with 初审退回 and 撤回."""

    state = FSMField(
        _("状态"), default=NoticeState.RECEIVED, choices=NoticeState.choices, protected=True
    )

    class Meta:
        abstract = True

    @transition(field=state, source=NoticeState.RECEIVED, target=NoticeState.REGISTERED)
    def register(self) -> None:
        """登记."""

    @transition(field=state, source=NoticeState.REGISTERED, target=NoticeState.RETURNED)
    def return_to_sender(self) -> None:
        """初审退回: not ours to handle, or the form is wrong."""

    @transition(
        field=state,
        source=[NoticeState.REGISTERED, NoticeState.COMPLETED],
        target=NoticeState.CIRCULATING,
    )
    def circulate(self) -> None:
        """传阅: the first forward, or a 补发 that reopens a completed notice."""

    @transition(field=state, source=NoticeState.CIRCULATING, target=NoticeState.WITHDRAWN)
    def withdraw(self) -> None:
        """撤回."""

    @transition(field=state, source=NoticeState.CIRCULATING, target=NoticeState.COMPLETED)
    def complete(self) -> None:
        """办结: every acknowledgement is terminal."""

    @transition(field=state, source=NoticeState.COMPLETED, target=NoticeState.ARCHIVED)
    def archive(self) -> None:
        """归档."""


class AcknowledgementMachine(FSMModelMixin, models.Model):
    """阅知确认: 待阅 → 已阅 → 已确认, 退回 with a reason, 取消 when the notice is withdrawn."""

    state = FSMField(_("状态"), default=AckState.PENDING, choices=AckState.choices, protected=True)

    class Meta:
        abstract = True

    @transition(field=state, source=AckState.PENDING, target=AckState.READ)
    def mark_read(self) -> None:
        """已阅: first opened."""

    @transition(field=state, source=AckState.READ, target=AckState.CONFIRMED)
    def confirm(self) -> None:
        """已确认: read and studied."""

    @transition(field=state, source=list(ACK_OPEN_STATES), target=AckState.RETURNED)
    def return_notice(self) -> None:
        """退回 (e.g. 误发)."""

    @transition(field=state, source=list(ACK_OPEN_STATES), target=AckState.CANCELLED)
    def cancel(self) -> None:
        """取消: the notice was withdrawn."""


# 批办 (handling = action). The Notice keeps its own states: it waits in 已登记 through 拟办 and
# 批示, circulates (传阅中) from the moment the 批示 are in (承办 and the readers' 传阅 run
# together) and completes (办结) only when its HandlingCase is 办毕 and no acknowledgement is
# open. The handling objects carry their own machines, so a 阅知 notice never sees them.


class HandlingState(models.TextChoices):
    PROPOSED = "proposed", _("待批示")
    UNDERTAKING = "undertaking", _("承办中")
    RESULTED = "resulted", _("待答复")
    DONE = "done", _("已办毕")


class InstructionState(models.TextChoices):
    PENDING = "pending", _("待批示")
    GIVEN = "given", _("已批示")


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("待接收")
    ACCEPTED = "accepted", _("办理中")
    RESULTED = "resulted", _("已办理")


class HandlingMachine(FSMModelMixin, models.Model):
    """批办单: 拟办 (待批示) → 承办中 (every named leader answered) → 待答复 (the lead unit's
    办理结果 is in, a 答复 is expected) → 已办毕; straight to 已办毕 when no 答复 is expected or
    it was recorded first."""

    state = FSMField(
        _("状态"), default=HandlingState.PROPOSED, choices=HandlingState.choices, protected=True
    )

    class Meta:
        abstract = True

    @transition(field=state, source=HandlingState.PROPOSED, target=HandlingState.UNDERTAKING)
    def start_undertaking(self) -> None:
        """The last named leader's 批示 is in: the 承办 units get it."""

    @transition(field=state, source=HandlingState.UNDERTAKING, target=HandlingState.RESULTED)
    def await_reply(self) -> None:
        """The lead unit's 办理结果 is in; the expected 答复 is not."""

    @transition(
        field=state,
        source=[HandlingState.UNDERTAKING, HandlingState.RESULTED],
        target=HandlingState.DONE,
    )
    def finish(self) -> None:
        """办毕: the lead unit's 办理结果 and (if expected) the 答复 are in."""


class InstructionMachine(FSMModelMixin, models.Model):
    """批示 of one named leader: 待批示 → 已批示 (批示 text, 同意拟办意见 or 圈阅)."""

    state = FSMField(
        _("状态"),
        default=InstructionState.PENDING,
        choices=InstructionState.choices,
        protected=True,
    )

    class Meta:
        abstract = True

    @transition(field=state, source=InstructionState.PENDING, target=InstructionState.GIVEN)
    def give(self) -> None:
        """批示 / 同意 / 圈阅."""


class AssignmentMachine(FSMModelMixin, models.Model):
    """承办 of one unit (lead or co): 待接收 → 办理中 → 已办理 (its 办理结果 recorded)."""

    state = FSMField(
        _("状态"),
        default=AssignmentState.ASSIGNED,
        choices=AssignmentState.choices,
        protected=True,
    )

    class Meta:
        abstract = True

    @transition(field=state, source=AssignmentState.ASSIGNED, target=AssignmentState.ACCEPTED)
    def accept(self) -> None:
        """接收: the unit takes it on."""

    @transition(field=state, source=AssignmentState.ACCEPTED, target=AssignmentState.RESULTED)
    def record_result(self) -> None:
        """办理结果 recorded."""
