from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "circulation.archive"
    label = "archive"
    verbose_name = "档案 Archive"
