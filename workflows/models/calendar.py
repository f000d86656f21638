"""Calendar days entered by an admin (holidays and 调休 working days)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An admin-entered day that overrides the computed calendar.

    The official calendar package (chinesecalendar) has data only up to 2026; beyond its data the
    calendar derives the statutory holidays (provisional) and counts Monday–Friday, and an entry
    here (the announced arrangement, 调休 included) overrides a derived day. An entry also
    overrides the package inside its range, for a late State Council announcement.
    """

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(
        _("是否工作日"), help_text=_("勾选表示调休上班；不勾选表示放假")
    )
    name = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = "上班" if self.is_working_day else "放假"
        return f"{self.date} {kind} {self.name}"
