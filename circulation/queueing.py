"""Queueing a Celery task by its name, for code that must not import a tasks module.

A service, and what it calls after its commit (the outbox's delivery doorbell), queues work for a
worker; importing the tasks module for that would make the services depend on the Celery
interface, and ``workflows.tasks`` imports the delivery code back (a cycle). The import-linter
contracts (``[tool.importlinter]`` in pyproject.toml, run by ``.ci/run``) forbid both. Here the
task is found in the Celery registry by name; when nothing in this process has imported its
module yet (a web process), the app's task modules are loaded first, as a worker does at start.
"""

from typing import Any

from celery import Task

from circulation.celery import app


def task(name: str) -> Task[Any, Any]:
    """The registered task ``name`` (``"workflows.tasks.deliver_messages"``)."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]
