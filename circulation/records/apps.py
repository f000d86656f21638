from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "circulation.records"
    label = "records"
    verbose_name = "收文记录 Records"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from circulation.records.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
