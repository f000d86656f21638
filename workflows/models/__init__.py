"""Clockwork records: the calendar, delegations (代理), reminder policy, reminders, digests, the
outbox, in-app notifications, webhook channels, preferences and sweep runs."""

from workflows.models.calendar import CalendarDay
from workflows.models.delegation import Delegation, DelegationStatus
from workflows.models.notifications import (
    Channel,
    DeliveryAttempt,
    Digest,
    Message,
    MessageStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    WebhookChannel,
    WebhookKind,
)
from workflows.models.reminders import (
    AssignmentReminder,
    ManualRemind,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    SweepRun,
)

__all__ = [
    "AssignmentReminder",
    "CalendarDay",
    "Channel",
    "Delegation",
    "DelegationStatus",
    "DeliveryAttempt",
    "Digest",
    "ManualRemind",
    "Message",
    "MessageStatus",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "Reminder",
    "ReminderKind",
    "ReminderPolicy",
    "SweepRun",
    "WebhookChannel",
    "WebhookKind",
]
