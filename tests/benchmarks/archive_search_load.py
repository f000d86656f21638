"""Bulk load of archived records (notices and their archive rows; no PDFs: search and the
archive pages read only the rows). The generated bigram columns are computed by PostgreSQL on
insert; for a large load the GIN indexes (two bigram, two trigram) are dropped first and built
again at the end (several times faster than maintaining them row by row), then the table is
analysed.

:func:`build_archived_records` is the entry point for other benchmarks too (the web pages):
``build_archived_records(count, using=alias)`` adds ``count`` archived records of a new
organisation to that database and returns the organisation.
"""

from __future__ import annotations

from datetime import datetime, time
from itertools import islice
from typing import TYPE_CHECKING

from tests.benchmarks.archive_search_data import UNITS, generate

if TYPE_CHECKING:
    from circulation.records.models import Organisation

BATCH = 2_000
REBUILD_INDEXES_FROM = 20_000  # rows: below this, inserting into the indexes is as fast
TABLE = "archive_archivedrecord"


def reset(using: str = "default") -> None:
    """Empty the notices, organisations and archive tables (bench databases only)."""
    from django.db import connections

    connection = connections[using]
    if not connection.settings_dict["NAME"].startswith("circulation_bench"):
        raise SystemExit("reset only runs in a circulation_bench* database")
    with connection.cursor() as cursor:
        # the audit tables refuse TRUNCATE (records 0004) unless triggers are off (superuser)
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "TRUNCATE archive_archivedrecord, archive_itemcounter, records_notice,"
                " records_unit, records_organisation, records_person RESTART IDENTITY CASCADE"
            )
        finally:
            cursor.execute("RESET session_replication_role")


def _gin_indexes(using: str) -> list[tuple[str, str]]:
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = %s AND indexdef LIKE '%% USING gin %%' ORDER BY indexname",
            [TABLE],
        )
        return [(name, definition) for name, definition in cursor.fetchall()]


def build_archived_records(
    count: int,
    *,
    marker: str = "档案检索基准",
    using: str = "default",
    seed: int = 20221,
    progress: bool = True,
) -> Organisation:
    """A new organisation (named ``marker``) with ``count`` archived 收文 records from
    :func:`tests.benchmarks.archive_search_data.generate`, in database ``using``; the table is
    analysed afterwards, as autovacuum would have done on a real system."""
    from django.db import connections, transaction
    from django.utils import timezone

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_fields
    from circulation.records.models import Notice, Organisation, Person, Unit, UnitKind

    connection = connections[using]
    org = Organisation.objects.using(using).create(name=marker, short_name="基准")
    fonds = f"Z{100 + org.pk}"
    Organisation.objects.using(using).filter(pk=org.pk).update(fonds_code=fonds)
    units = {
        code: Unit.objects.using(using).create(
            organisation=org, code=code, name=f"机构{code}", kind=UnitKind.SECTION
        )
        for code in UNITS
    }
    archivist = Person.objects.using(using).create(
        username=f"bench_archivist_{org.pk}", organisation=org, password="!unusable"
    )
    dropped = _gin_indexes(using) if count >= REBUILD_INDEXES_FROM else []
    with connection.cursor() as cursor:
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
    tz = timezone.get_current_timezone()
    rows = generate(count, seed=seed)
    done = 0
    while batch := list(islice(rows, BATCH)):
        with transaction.atomic(using=using):
            notices = Notice.objects.using(using).bulk_create(
                Notice(
                    organisation=org,
                    state="archived",
                    doc_number=r.doc_number,
                    doc_number_original=r.doc_number,
                    issuer_code=r.issuer_code,
                    year=r.year,
                    serial=r.serial,
                    title=r.title,
                    issuer=r.issuer,
                    doc_type="通知",
                    issued_on=r.issued_on,
                    secrecy="public",
                    body=r.body,
                    received_at=datetime.combine(r.issued_on, time(9), tz),
                    received_by=archivist,
                )
                for r in batch
            )
            now = timezone.now()
            ArchivedRecord.objects.using(using).bulk_create(
                ArchivedRecord(
                    notice=notice,
                    organisation=org,
                    archival_code=f"{fonds}-WS·{r.year}-{r.retention}-{r.unit}-{r.item_no:04d}",
                    fonds_code=fonds,
                    year=r.year,
                    retention=r.retention,
                    unit=units[r.unit],
                    unit_code=r.unit,
                    item_no=r.item_no,
                    doc_number=r.doc_number,
                    title=r.title,
                    issuer=r.issuer,
                    issued_on=r.issued_on,
                    secrecy="public",
                    file=f"archive/{fonds}/{r.year}/bench-{notice.pk}.pdf",
                    page_count=2,
                    record_sha256="0" * 64,
                    record_size=1,
                    rendition_sha256="0" * 64,
                    row_sha256="0" * 64,
                    archived_at=now,
                    archived_by=archivist,
                    **search_fields(
                        title=r.title, doc_number=r.doc_number, issuer=r.issuer, body=r.body
                    ),
                )
                for notice, r in zip(notices, batch, strict=True)
            )
        done += len(batch)
        if progress and (done % 50_000 == 0 or done == count):
            print(f"  {done:,} / {count:,} rows", flush=True)
    with connection.cursor() as cursor:
        if dropped:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in dropped:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
        cursor.execute(f"VACUUM ANALYZE {TABLE}")
        cursor.execute("ANALYZE records_notice")
    return org
