"""Delivery of outbox messages: email, group-robot webhooks; the Celery tasks live in tasks.py."""
