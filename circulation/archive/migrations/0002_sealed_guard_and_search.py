"""PostgreSQL only: a trigger that refuses UPDATE and DELETE of sealed archive records, and the
search index — two generated bigram ``tsvector`` columns (题名+文号, and all text) with GIN indexes.

``archive_bigrams`` turns normalised text (see ``circulation.archive.search.normalise``: runs of
letters and digits separated by single blanks) into the set of its character bigrams plus the last
character of every run, so that a two-character term is one index lexeme and a longer term is the
AND of its bigrams; the query rechecks the exact substring. It uses regular expressions rather than
``substr`` over positions because ``substr`` on UTF-8 text is linear in the offset.
"""

from django.db import migrations

FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION archive_bigrams(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT g)), ''::tsvector)
  FROM (
    SELECT m[1] AS g FROM regexp_matches(doc, '(\S\S)', 'g') AS m
    UNION ALL
    SELECT m[1] FROM regexp_matches(regexp_replace(doc, '(^|\s)\S', '\1', 'g'), '(\S\S)', 'g') AS m
    UNION ALL
    SELECT m[1] FROM regexp_matches(doc, '(\S)(?:\s|$)', 'g') AS m
  ) AS grams
$$;

CREATE OR REPLACE FUNCTION archive_sealed_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'archived records are sealed: % refused (已归档记录不可修改或删除)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

TABLE_SQL = """
CREATE TRIGGER archive_archivedrecord_sealed
    BEFORE UPDATE OR DELETE ON archive_archivedrecord
    FOR EACH ROW EXECUTE FUNCTION archive_sealed_guard();
ALTER TABLE archive_archivedrecord
    ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (archive_bigrams(search_text)) STORED,
    ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (archive_bigrams(search_title)) STORED;
CREATE INDEX archive_search_vector_gin ON archive_archivedrecord USING gin (search_vector);
CREATE INDEX archive_title_vector_gin ON archive_archivedrecord USING gin (title_vector);
"""

UNDO_SQL = """
DROP TRIGGER IF EXISTS archive_archivedrecord_sealed ON archive_archivedrecord;
DROP INDEX IF EXISTS archive_search_vector_gin;
DROP INDEX IF EXISTS archive_title_vector_gin;
ALTER TABLE archive_archivedrecord DROP COLUMN IF EXISTS search_vector,
    DROP COLUMN IF EXISTS title_vector;
DROP FUNCTION IF EXISTS archive_sealed_guard();
DROP FUNCTION IF EXISTS archive_bigrams(text);
"""


def forward(apps, schema_editor):
    schema_editor.execute(FUNCTIONS_SQL, params=None)
    schema_editor.execute(TABLE_SQL, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(UNDO_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
