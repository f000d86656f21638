"""Finer planner statistics for the two bigram ``tsvector`` columns (issue 12).

With the default statistics target (100) ``pg_stats.most_common_elems`` keeps about 1,000
bigrams: over 300,000 records of real-length text the rarest of them is in 15 % of the rows, so a
bigram not listed could be anywhere from absent to 15 % — and the search could not tell a cheap
index scan from a slow one. At 1,000 the list keeps about 4,000 bigrams down to 0.2 % of the rows
(题名+文号: 2,900 down to 0.02 %), so a bigram not listed is rare. ``search_plan`` reads these.
ANALYZE samples more rows (about a minute for 300,000 records on the benchmark machine).
"""

from django.db import migrations

FORWARD = """
ALTER TABLE archive_archivedrecord
    ALTER COLUMN search_vector SET STATISTICS 1000,
    ALTER COLUMN title_vector SET STATISTICS 1000;
"""
BACKWARD = """
ALTER TABLE archive_archivedrecord
    ALTER COLUMN search_vector SET STATISTICS -1,
    ALTER COLUMN title_vector SET STATISTICS -1;
"""


class Migration(migrations.Migration):
    dependencies = [("archive", "0006_record_sm3_and_signature")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
