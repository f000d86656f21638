"""Delivery of outbox messages: ``outbox`` (hand-over after commit), ``dispatcher`` (claim, send,
record), ``requeue`` (the periodic dispatcher, retry now), ``email``, ``webhooks``, ``admin``.
The Celery tasks that drive them are in :mod:`workflows.tasks`."""
