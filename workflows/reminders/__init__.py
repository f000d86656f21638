"""催办 machinery, below the services: what the sweep decides (``decide``, ``claims``,
``parallel``, ``locks``), the digests and announcements with their texts, the reminder policy and
the SQL. The actions built on it are services: :func:`workflows.services.sweep.run_reminder_sweep`
(the periodic sweep, called by the beat task), :func:`workflows.services.reminding.remind_notice`
(人工催办), :mod:`workflows.services.unit_reminding` (a unit head's 催办) and
:func:`workflows.services.notifications.mark_notification_read` (站内通知已读).
"""
