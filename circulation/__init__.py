"""circulation — the Django project (settings, urls, Celery app, wsgi) and the records app."""

from circulation.celery import app as celery_app

__all__ = ["celery_app"]
