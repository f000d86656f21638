"""Benchmark: what the organisation's seal (PAdES signing, issue 15) costs archiving and verifying.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench_signing \\
        .venv/bin/python -m tests.benchmarks.bench_signing [--size small|full] [--runs N]

The database is a ``circulation_bench_signing*`` one (created, migrated, its records tables
emptied); files go to a temporary MEDIA_ROOT with a demo seal (RSA-3072, as ``seal_certificate
--create-demo`` makes it), no TSA (a time-stamp is a network round trip to the authority).

CPU time (``time.process_time``: WeasyPrint and pyHanko run in this process) is printed beside
the wall time, as the figure that holds on a loaded machine.

For each size (recipients: 1 and 1,000; small: 1) a notice is built as in ``bench_record`` and its
record rendered once. Then, run by run and interleaved:

* ``stamp``: the 归档章 alone (``apply_stamp`` without the signature field: archiving unsigned);
* ``stamp+sign``: the stamp with the signature's appearance (same WeasyPrint run) and
  ``sign_record`` (pyHanko: CMS, DSS with the chain, the incremental update) and the SM3;
* the difference is what signing adds per record (goal < 100 ms).

Then the whole ``archive_notice`` (four-aspect checks, stamp, sign, store, audit) of fresh
notices, signed and unsigned, and ``verify_record`` (hashes, SM3, row, audit event, attachments,
sealed data, signature validation offline) of the signed records, repeated; verifying 10,000 is
extrapolated from the per-record median (stated as such). Then ``--verify-records`` more
1-recipient records (full: 300, small: 3) are archived and every signed record is verified as
``verify_archive`` does (``verify_records`` by batches): CPU and wall per record, the statements.
Load (``os.getloadavg``) and a CPU calibration (``common.calibrate()``) are printed before and
after. Exit 1 when a signed record does not verify.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DB_PREFIX = "circulation_bench_signing"
SIZES = {"full": (1, 1000), "small": (1,)}


def database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"bench_signing needs PostgreSQL, got {url!r}")
    if not parts.path.lstrip("/").startswith(DB_PREFIX):
        parts = parts._replace(path=f"/{DB_PREFIX}")
    return urlunsplit(parts)


def _ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.0f}"


def _complete(notice: Any) -> None:
    """The built notice (every recipient answered) completed by the service (办结 event)."""
    from workflows.services.completion import complete_if_done

    assert complete_if_done(None, notice.pk)
    notice.refresh_from_db()


def _reset() -> None:
    """Empty the records tables (as ``bench_record.reset``, for this benchmark's database)."""
    from django.db import connection

    from circulation.records.models import AuditChainHead

    assert connection.settings_dict["NAME"].startswith(DB_PREFIX)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "TRUNCATE records_organisation, records_person, records_notice, records_auditevent,"
                " records_auditchainhead, knox_authtoken, archive_archivedrecord,"
                " archive_itemcounter RESTART IDENTITY CASCADE"
            )
        finally:
            cursor.execute("RESET session_replication_role")
    AuditChainHead.objects.get_or_create(pk=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--verify-runs", type=int, default=None)
    parser.add_argument(
        "--verify-records", type=int, default=None, help="further 1-recipient records archived"
    )
    args = parser.parse_args(argv)
    small = args.size == "small"
    runs = args.runs or (1 if small else 5)
    verify_runs = args.verify_runs or (3 if small else 200)
    verify_records_count = (
        args.verify_records if args.verify_records is not None else 3 if small else 300
    )

    from tests.benchmarks.bench_record import setup_django

    media = Path(tempfile.mkdtemp(prefix="bench-signing-"))
    os.environ["SEAL_REQUIRED"] = "false"
    setup_django(
        database_url(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/")), media
    )
    from datetime import UTC, datetime

    from django.conf import settings
    from django.contrib.auth.models import Group

    from circulation.archive import rendition as renditions
    from circulation.archive.codes import ArchivalCode
    from circulation.archive.demo_seal import create_demo_seal
    from circulation.archive.seal import load_seal
    from circulation.archive.signing import seal_mark, sign_record
    from circulation.archive.sm3 import sm3_hex
    from circulation.archive.stamp import StampData, apply_stamp
    from circulation.archive.verification import verify_record
    from circulation.records.actors import Actor
    from circulation.records.models import Organisation, Person, Unit
    from circulation.records.roles import ARCHIVIST
    from tests.benchmarks.bench_record import build_notice
    from tests.benchmarks.common import calibrate
    from workflows.services.archiving import archive_notice

    _reset()
    before = calibrate()
    print(f"BENCH signing load_before={os.getloadavg()[0]:.2f} cpu_count={os.cpu_count()}")
    print(
        f"BENCH signing calibration_before python_ms={before.python_ms:.1f} "
        f"postgres_ms={before.postgres_ms:.2f}"
    )
    create_demo_seal("舞阳县工业和信息化局")
    seal = load_seal()
    assert seal is not None
    assert seal.demo
    failures = 0
    serial = 100
    for size in SIZES[args.size]:
        serial += 1
        notice = build_notice(size, serial)
        _complete(notice)
        pdf = renditions.read_bytes(renditions.current(notice, None))
        code = ArchivalCode("Z109", 2022, "D30", "BGS", serial)
        stamp_data = StampData.of(code, 1)
        apply_stamp(pdf, stamp_data)  # warm: fonts, WeasyPrint, pyHanko
        sign_record(
            apply_stamp(pdf, stamp_data, seal_mark(seal, str(code), datetime.now(UTC))), seal
        )
        plain: list[float] = []
        signed: list[float] = []
        signing_only: list[float] = []
        plain_cpu: list[float] = []
        signed_cpu: list[float] = []
        signing_cpu: list[float] = []
        for _ in range(runs):
            started, cpu = time.perf_counter(), time.process_time()
            apply_stamp(pdf, stamp_data)
            plain.append(time.perf_counter() - started)
            plain_cpu.append(time.process_time() - cpu)
            started, cpu = time.perf_counter(), time.process_time()
            stamped = apply_stamp(pdf, stamp_data, seal_mark(seal, str(code), datetime.now(UTC)))
            middle, middle_cpu = time.perf_counter(), time.process_time()
            out, _facts = sign_record(stamped, seal)
            sm3_hex(out)
            ended, ended_cpu = time.perf_counter(), time.process_time()
            signed.append(ended - started)
            signing_only.append(ended - middle)
            signed_cpu.append(ended_cpu - cpu)
            signing_cpu.append(ended_cpu - middle_cpu)
        added = statistics.median(signed) - statistics.median(plain)
        added_cpu = statistics.median(signed_cpu) - statistics.median(plain_cpu)
        print(
            f"BENCH signing recipients={size} pdf_kb={len(pdf) // 1024} "
            f"signed_kb={len(out) // 1024} stamp_ms={_ms(plain)} stamp_and_sign_ms={_ms(signed)} "
            f"sign_record_ms={_ms(signing_only)} adds_ms={1000 * added:.0f} runs={runs}"
        )
        print(
            f"BENCH signing cpu recipients={size} stamp_ms={_ms(plain_cpu)} "
            f"stamp_and_sign_ms={_ms(signed_cpu)} sign_record_and_sm3_ms={_ms(signing_cpu)} "
            f"adds_ms={1000 * added_cpu:.0f} runs={runs}"
        )

    # Whole archiving, signed and unsigned, of fresh notices of each size.
    org = Organisation.objects.get(name="舞阳县工业和信息化局")
    unit, _ = Unit.objects.get_or_create(
        organisation=org, code="BGS", defaults={"name": "办公室", "kind": "section"}
    )
    archivist = Person.objects.create(
        username="archivist_b", display_name="档案员", organisation=org
    )
    archivist.groups.add(Group.objects.get_or_create(name=ARCHIVIST)[0])
    records = []
    demo_dir = media / "seal"
    for size in SIZES[args.size]:
        for signing in (False, True):
            times = []
            for _ in range(1 if size > 1 else runs):
                serial += 1
                notice = build_notice(size, serial)
                _complete(notice)
                renditions.current(notice, None)  # rendered beforehand, as the queue does
                if not signing:
                    demo_dir.rename(media / "seal-off")
                started = time.perf_counter()
                record = archive_notice(
                    Actor(archivist), notice.pk, retention="D30", unit_code=unit.code
                )
                times.append(time.perf_counter() - started)
                if not signing:
                    (media / "seal-off").rename(demo_dir)
                assert bool(record.signature) == signing
                if signing:
                    records.append(record)
            print(
                f"BENCH signing archive recipients={size} signed={str(signing).lower()} "
                f"ms={_ms(times)} runs={len(times)}"
            )

    for record in records:
        times = []
        for _ in range(verify_runs):
            started = time.perf_counter()
            result = verify_record(record)
            times.append(time.perf_counter() - started)
            if not result.ok or result.signature is None or not result.signature["ok"]:
                failures += 1
                print(f"FAIL {record.archival_code}: {result.problems}", file=sys.stderr)
                break
        per = statistics.median(times)
        print(
            f"BENCH signing verify recipients={record.notice.acknowledgements.count()} "
            f"ms={1000 * per:.0f} p95_ms={1000 * sorted(times)[int(0.95 * (len(times) - 1))]:.0f} "
            f"runs={len(times)} extrapolated_10000_s={10000 * per:.0f}"
        )

    # verify_archive's way: batches of records, the database read once per batch.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.archive.management.commands.verify_archive import BATCH
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.verification import verify_records

    for _ in range(verify_records_count):
        serial += 1
        notice = build_notice(1, serial)
        _complete(notice)
        renditions.current(notice, None)
        archive_notice(Actor(archivist), notice.pk, retention="D30", unit_code=unit.code)
    signed_records = list(ArchivedRecord.objects.exclude(signature={}).order_by("id"))
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        for at in range(0, len(signed_records), BATCH):
            for result in verify_records(signed_records[at : at + BATCH]):
                if not result.ok:
                    failures += 1
                    print(f"FAIL batch: {result.problems}", file=sys.stderr)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    count = len(signed_records)
    print(
        f"BENCH signing verify_batch records={count} batch={BATCH} "
        f"cpu_ms_per_record={1000 * cpu / count:.1f} wall_ms_per_record={1000 * wall / count:.1f} "
        f"queries={len(queries)} extrapolated_10000_cpu_s={10000 * cpu / count:.0f}"
    )

    after = calibrate()
    print(f"BENCH signing load_after={os.getloadavg()[0]:.2f}")
    print(
        f"BENCH signing calibration_after python_ms={after.python_ms:.1f} "
        f"postgres_ms={after.postgres_ms:.2f}"
    )
    print(f"BENCH signing media={media} tsa={'yes' if settings.TSA_URL else 'no'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
