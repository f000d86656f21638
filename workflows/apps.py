from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "流程 Workflows"

    def ready(self) -> None:
        from workflows.schedules import on_post_migrate

        # After every migrate: the default beat schedules exist (created when missing only).
        post_migrate.connect(
            on_post_migrate, sender=self, dispatch_uid="workflows.default_schedules"
        )
