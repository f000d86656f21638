import logging

from django.apps import AppConfig


class AckRecordConfig(AppConfig):
    name = "circulation.ackrecord"
    label = "ackrecord"
    verbose_name = "阅知确认单 Acknowledgement records"

    def ready(self) -> None:
        # WeasyPrint logs every rendering step (and its stylesheet parsing on import) at INFO.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
