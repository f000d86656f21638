"""催办: the reminder sweep, digests, manual reminders and their texts.

Entry points: :func:`workflows.reminders.sweep.run_reminder_sweep` (the periodic sweep, called by
the beat task), :func:`workflows.reminders.manual.remind_notice` (人工催办) and
:func:`workflows.reminders.inbox.mark_notification_read` (站内通知已读).
"""
