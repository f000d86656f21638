"""The audit log is append-only: the chain head row exists, and on PostgreSQL a trigger refuses
UPDATE and DELETE on audit events (the hash chain still detects an edit made around it)."""

from django.db import migrations

GUARD_SQL = """
CREATE OR REPLACE FUNCTION records_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (审计日志只能追加)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER records_auditevent_append_only
    BEFORE UPDATE OR DELETE ON records_auditevent
    FOR EACH ROW EXECUTE FUNCTION records_audit_append_only();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS records_auditevent_append_only ON records_auditevent;
DROP FUNCTION IF EXISTS records_audit_append_only();
"""


def create_head(apps, schema_editor):
    apps.get_model("records", "AuditChainHead").objects.get_or_create(pk=1)


def add_guard(apps, schema_editor):
    schema_editor.execute(GUARD_SQL)


def remove_guard(apps, schema_editor):
    schema_editor.execute(UNGUARD_SQL)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(add_guard, remove_guard),
    ]
