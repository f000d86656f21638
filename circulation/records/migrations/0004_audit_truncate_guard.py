"""PostgreSQL only: the audit tables refuse TRUNCATE (a statement trigger — row triggers do not
fire on TRUNCATE) and the chain-head row refuses DELETE, so that the log cannot be emptied in one
statement and then verify as an empty chain. Only a superuser can go around them (by disabling
triggers or ``session_replication_role = replica``), and ``verify_chain`` then fails: the head and
the events disagree, the head is missing, or notices exist without any event.

Django's ``flush`` truncates every table, so it is refused too; the test suite runs its flush as
a replica session (``tests/conftest.py``), as a superuser.
"""

from django.db import migrations

GUARD_SQL = """
CREATE OR REPLACE FUNCTION records_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be emptied: % on % refused (审计日志不可清空)',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER records_auditevent_no_truncate
    BEFORE TRUNCATE ON records_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION records_audit_no_truncate();
CREATE TRIGGER records_auditchainhead_no_truncate
    BEFORE TRUNCATE ON records_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION records_audit_no_truncate();
CREATE TRIGGER records_auditchainhead_no_delete
    BEFORE DELETE ON records_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION records_audit_no_truncate();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS records_auditevent_no_truncate ON records_auditevent;
DROP TRIGGER IF EXISTS records_auditchainhead_no_truncate ON records_auditchainhead;
DROP TRIGGER IF EXISTS records_auditchainhead_no_delete ON records_auditchainhead;
DROP FUNCTION IF EXISTS records_audit_no_truncate();
"""


def add_guard(apps, schema_editor):
    schema_editor.execute(GUARD_SQL, params=None)


def remove_guard(apps, schema_editor):
    schema_editor.execute(UNGUARD_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("records", "0003_notice_addressees")]

    operations = [migrations.RunPython(add_guard, remove_guard)]
