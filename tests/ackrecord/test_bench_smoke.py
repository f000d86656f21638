"""The record benchmark still runs: ``python -m tests.benchmarks.bench_record --size small``.

Not a performance test (no timing is asserted): it checks that the benchmark sets up its data,
renders with WeasyPrint and prints the same record with the warm Chromium (Debian's, installed by
scripts/bootstrap) to the same number of pages, stores through ``current_record`` with a constant
number of queries, and never writes docs/benchmarks.md. Own database (``tests.benchmark_smoke``).
"""

import re

from tests.benchmark_smoke import run_small


def test_the_record_benchmark_runs_at_small_size() -> None:
    stdout, output = run_small("record", "tests.benchmarks.bench_record")

    rows = re.findall(
        r"^BENCH record recipients=(\d+) pages=(\d+) weasy=([\d.]+) .*chromium=([\d.]+) "
        r"chromium_pages=(\d+) queries=(\d+)$",
        stdout,
        re.M,
    )
    assert [row[0] for row in rows] == ["1", "20"], output[-6000:]
    for _, pages, weasy, chromium, chromium_pages, queries in rows:
        assert int(pages) >= 1
        assert chromium_pages == pages  # the same record, the same pages in both engines
        assert float(weasy) > 0
        assert float(chromium) > 0
        assert queries == "6"  # the record's data in constant queries
    assert re.search(r"^calibration python_ms=[\d.]+ postgres_ms=[\d.]+$", stdout, re.M)
