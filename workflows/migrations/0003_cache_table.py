"""The database cache's table (``CACHES``, ``circulation_cache``), created by ``migrate``.

Rate limits (the token endpoint's throttle) live in the database cache, so a deployment that only
ran ``migrate`` used to answer 500 on sign-in until someone ran ``createcachetable``. This step
runs ``createcachetable`` for the database being migrated: it creates the table of every
database cache in ``CACHES`` that does not exist yet, and does nothing for other cache backends or
for a table that is already there (so running ``createcachetable`` as well stays harmless).
Reversing it drops the tables of the database caches.
"""

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps: Any, schema_editor: Any) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_tables(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.connection.ops.quote_name
    for alias in settings.CACHES:
        cache = caches[alias]
        if isinstance(cache, BaseDatabaseCache):
            schema_editor.execute(f"DROP TABLE IF EXISTS {quote(cache._table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_reminders_and_outbox"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, drop_cache_tables, elidable=False),
    ]
