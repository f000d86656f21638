"""代理 (delegation): a person away names a delegate who acts in their inbox for a period.

The period is half-open, ``[starts_at, ends_at)``. One person has at most one delegation in force
at any moment: an exclusion constraint over the principal and the period (``btree_gist``, in the
PostgreSQL contrib of the embedded server, Debian and the ``postgres`` image) refuses overlapping
periods that are not cancelled, whatever races the services lose. A cancelled delegation stays
as a record (``cancelled_at``); nothing is ever deleted. Organisation and the leader rule
(a leader's delegate must be a leader) span other tables and are checked by the service
(:mod:`workflows.services.delegation`).
"""

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _


class DelegationStatus(models.TextChoices):
    UPCOMING = "upcoming", _("未开始")
    ACTIVE = "active", _("生效中")
    ENDED = "ended", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class TsTzRange(Func):
    """``tstzrange(starts_at, ends_at)``: the half-open period, for the exclusion constraint."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Delegation(models.Model):
    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被代理人"),
        on_delete=models.PROTECT,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理人"),
        on_delete=models.PROTECT,
        related_name="delegations_taken",
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("代理")
        verbose_name_plural = _("代理")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(principal=models.F("delegate")), name="delegation_not_self"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_ends_after_start"
            ),
            ExclusionConstraint(
                name="delegation_no_overlap",
                expressions=[
                    ("principal", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(cancelled_at__isnull=True),
            ),
        ]
        indexes = [
            # principals_for(delegate, at): the delegate's delegations in force
            models.Index(
                fields=["delegate", "ends_at"],
                name="delegation_delegate_open",
                condition=Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegate_id} 代 {self.principal_id} {self.starts_at:%Y-%m-%d}"

    def status_at(self, at: datetime) -> DelegationStatus:
        """Where the period stands at ``at`` (cancelled first, whatever the dates)."""
        if self.cancelled_at is not None:
            return DelegationStatus.CANCELLED
        if at < self.starts_at:
            return DelegationStatus.UPCOMING
        if at >= self.ends_at:
            return DelegationStatus.ENDED
        return DelegationStatus.ACTIVE
