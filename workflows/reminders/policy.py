"""The reminder policy of an organisation (催办规则), office hours and window keys.

Window keys name the time window a reminder or digest belongs to, in local time (Asia/Shanghai):
``2022-10-12`` for a working day, ``2022-10-12#2`` for the second cadence slot since the office
opened (加急/特急). Once-per-deadline kinds use the deadline's local date.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from circulation.records.models import Organisation, Urgency
from workflows.calendar import office_hours
from workflows.models import ReminderPolicy


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def to_local(moment: datetime) -> datetime:
    return timezone.localtime(moment, local_zone())


def default_policy(organisation: Organisation) -> ReminderPolicy:
    """An unsaved policy with the model defaults."""
    return ReminderPolicy(organisation=organisation)


def policy_for(organisation: Organisation) -> ReminderPolicy:
    """The organisation's saved policy, or the defaults when an admin has not set one."""
    saved = ReminderPolicy.objects.filter(organisation=organisation).first()
    return saved if saved is not None else default_policy(organisation)


def in_office_hours(local_moment: datetime) -> bool:
    """Within 办公时间 (:func:`workflows.calendar.office_hours`, the deadlines' too)?"""
    hours = office_hours()
    return hours.opens <= local_moment.time() < hours.closes


def cadence_hours(policy: ReminderPolicy, urgency: str) -> int | None:
    """Working hours between overdue reminders for 加急/特急; ``None`` for 平件 (daily)."""
    if urgency == Urgency.EXTRA_URGENT:
        return max(1, policy.extra_urgent_cadence_hours)
    if urgency == Urgency.URGENT:
        return max(1, policy.urgent_cadence_hours)
    return None


def slot_index(policy: ReminderPolicy, local_moment: datetime, hours: int) -> int:
    """1 for the first ``hours`` after the office opened, 2 for the next, …"""
    opened = datetime.combine(local_moment.date(), office_hours().opens, tzinfo=local_moment.tzinfo)
    elapsed = max(local_moment - opened, timedelta(0))
    return int(elapsed // timedelta(hours=hours)) + 1


def day_key(day: date) -> str:
    return day.isoformat()


def slot_key(policy: ReminderPolicy, local_moment: datetime, hours: int) -> str:
    return f"{day_key(local_moment.date())}#{slot_index(policy, local_moment, hours)}"


def digest_window(policy: ReminderPolicy, local_moment: datetime) -> str:
    """The digest window: the finest cadence slot, so each 特急 slot can have its own message."""
    finest = min(max(1, policy.urgent_cadence_hours), max(1, policy.extra_urgent_cadence_hours))
    return slot_key(policy, local_moment, finest)


def manual_window(manual_remind_id: int) -> str:
    return f"manual-{manual_remind_id}"
