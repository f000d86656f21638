from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "circulation.archive"
    label = "archive"
    verbose_name = "档案 Archive"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from circulation.records.roles import ensure_roles

        # The archive's permissions exist only after its own migrate: give them to the roles.
        post_migrate.connect(ensure_roles, sender=self)
