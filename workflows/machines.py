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
