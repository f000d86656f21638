"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Run one worker pool (``celery -A circulation worker``) and exactly one scheduler
(``celery -A circulation beat``, schedules in the database via django-celery-beat). Without
``REDIS_URL`` the broker is kombu's filesystem transport under ``$VAR_DIR`` (one machine only).
"""

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circulation.settings")

app = Celery("circulation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

FILESYSTEM_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_broker_folders(sender: Celery, **kwargs: Any) -> None:
    """The filesystem transport needs its folders to exist before anyone reads or writes them."""
    if str(sender.conf.broker_url or "").startswith("filesystem://"):
        options = sender.conf.broker_transport_options or {}
        for key in FILESYSTEM_FOLDERS:
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through Django's ``LOGGING``, which ``django.setup()`` has applied
    (Celery's Django fixup sets Django up first): connecting this receiver stops Celery from
    configuring logging of its own."""
