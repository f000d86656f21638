"""PostgreSQL only: what an archived notice's record was made from is sealed with it — its
acknowledgements, attachments and record renditions refuse UPDATE and DELETE once the notice is
archived (``archive_sealed_guard``'s message). The notice state is looked up per row, so the
acknowledgement trigger only fires for terminal rows (``WHEN``): a notice is archived only when
every acknowledgement is terminal, while the reminder sweep and the services update open ones.
"""

from django.db import migrations

GUARD_SQL = """
CREATE OR REPLACE FUNCTION archive_sealed_child_guard() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM records_notice WHERE id = OLD.notice_id AND state = 'archived') THEN
        RAISE EXCEPTION 'archived records are sealed: % of % refused (已归档记录不可修改或删除)',
            TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER records_acknowledgement_archived_sealed
    BEFORE UPDATE OR DELETE ON records_acknowledgement
    FOR EACH ROW WHEN (OLD.state IN ('confirmed', 'returned', 'cancelled'))
    EXECUTE FUNCTION archive_sealed_child_guard();
CREATE TRIGGER records_attachment_archived_sealed
    BEFORE UPDATE OR DELETE ON records_attachment
    FOR EACH ROW EXECUTE FUNCTION archive_sealed_child_guard();
CREATE TRIGGER ackrecord_recordrendition_archived_sealed
    BEFORE UPDATE OR DELETE ON ackrecord_recordrendition
    FOR EACH ROW EXECUTE FUNCTION archive_sealed_child_guard();
"""
UNDO_SQL = """
DROP TRIGGER IF EXISTS records_acknowledgement_archived_sealed ON records_acknowledgement;
DROP TRIGGER IF EXISTS records_attachment_archived_sealed ON records_attachment;
DROP TRIGGER IF EXISTS ackrecord_recordrendition_archived_sealed ON ackrecord_recordrendition;
DROP FUNCTION IF EXISTS archive_sealed_child_guard();
"""


def forward(apps, schema_editor):
    schema_editor.execute(GUARD_SQL, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(UNDO_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_archived_notice_guard"),
        ("ackrecord", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
