"""Bulk load for the archive-search benchmark: notices and their archive rows (no PDFs: search
reads only the rows). The generated bigram columns are computed by PostgreSQL on insert."""

from __future__ import annotations

from datetime import datetime, time
from itertools import islice
from typing import Any

from tests.benchmarks.archive_search_data import UNITS, generate

BATCH = 5_000


def reset() -> None:
    from django.db import connection

    if not connection.settings_dict["NAME"].startswith("circulation_bench_archive"):
        raise SystemExit("reset only runs in a circulation_bench_archive* database")
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


def insert_rows(marker: str, count: int) -> Any:
    from django.db import transaction
    from django.utils import timezone

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_fields
    from circulation.records.models import Notice, Organisation, Person, Unit, UnitKind

    org = Organisation.objects.create(name=marker, short_name="基准", fonds_code="Z109")
    units = {
        code: Unit.objects.create(
            organisation=org, code=code, name=f"机构{code}", kind=UnitKind.SECTION
        )
        for code in UNITS
    }
    archivist = Person.objects.create(
        username="bench_archivist",
        organisation=org,
        password="!unusable",
    )
    tz = timezone.get_current_timezone()
    rows = generate(count)
    done = 0
    while batch := list(islice(rows, BATCH)):
        with transaction.atomic():
            notices = Notice.objects.bulk_create(
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
            ArchivedRecord.objects.bulk_create(
                ArchivedRecord(
                    notice=notice,
                    organisation=org,
                    archival_code=f"Z109-WS·{r.year}-{r.retention}-{r.unit}-{r.item_no:04d}",
                    fonds_code="Z109",
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
                    file=f"archive/Z109/{r.year}/bench-{notice.pk}.pdf",
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
        if done % 50_000 == 0 or done == count:
            print(f"  {done:,} / {count:,} rows", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE archive_archivedrecord")
        cursor.execute("ANALYZE records_notice")
    return org
