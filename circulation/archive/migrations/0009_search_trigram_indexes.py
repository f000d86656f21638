"""Trigram indexes over the normalised search text (issue 12).

The bigram ``tsvector`` indexes (0002) find every record holding all the bigrams of a term, but
cannot tell adjacent bigrams from scattered ones: 合力的通 (absent) had 7,985 candidates at
300,000 records, each fetched and its 正文 detoasted to find none. ``pg_trgm``'s GIN operator
class serves ``LIKE '%…%'`` on a term of three characters or more with the trigrams of the
term, which already hold its characters in order, so the candidates are about the matches.
Two-character terms stay on the bigram index (a ``LIKE`` on two characters has no trigram).

``pg_trgm`` is a trusted extension in PostgreSQL 13+ (Debian's PostgreSQL 15, the postgres:15
image, the embedded PostgreSQL of ``circulation.devdb``). Reversing drops the indexes and leaves
the extension (other objects may use it). Building both indexes over 300,000 records takes a
few minutes.
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX archive_search_text_trgm ON archive_archivedrecord
    USING gin (search_text gin_trgm_ops);
CREATE INDEX archive_search_title_trgm ON archive_archivedrecord
    USING gin (search_title gin_trgm_ops);
"""
BACKWARD = """
DROP INDEX IF EXISTS archive_search_text_trgm;
DROP INDEX IF EXISTS archive_search_title_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [("archive", "0008_handling_sheet_sealed")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
