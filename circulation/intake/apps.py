from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Intake (issue 14): no models; installed for ``manage.py import_notice``."""

    name = "circulation.intake"
    label = "intake"
    verbose_name = "导入 Intake"
