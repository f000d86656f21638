"""PostgreSQL only: an archived notice (收文, state ``archived``) is sealed like its archive record.

The trigger fires only for rows whose old state is ``archived`` (the ``WHEN`` clause), so it costs
nothing on the notices still moving through their workflow; it reuses ``archive_sealed_guard``.
"""

from django.db import migrations

GUARD_SQL = """
CREATE TRIGGER records_notice_archived_sealed
    BEFORE UPDATE OR DELETE ON records_notice
    FOR EACH ROW WHEN (OLD.state = 'archived') EXECUTE FUNCTION archive_sealed_guard();
"""
UNDO_SQL = "DROP TRIGGER IF EXISTS records_notice_archived_sealed ON records_notice;"


def forward(apps, schema_editor):
    schema_editor.execute(GUARD_SQL, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(UNDO_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0002_sealed_guard_and_search"),
        ("records", "0003_notice_addressees"),
    ]

    operations = [migrations.RunPython(forward, backward)]
