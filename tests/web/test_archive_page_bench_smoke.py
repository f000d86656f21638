"""The archive search page's benchmark still runs: ``--size small`` end to end in its own database
(``tests.benchmark_smoke``): the page answers 200 with highlighted hits for every term and the
same number of queries on every request (the script exits non-zero otherwise) — not the timings,
which mean little at this size on a shared machine."""

import re

from tests.benchmark_smoke import run_small


def test_archive_page_benchmark_runs_at_small_size() -> None:
    stdout, output = run_small("archive_page", "tests.benchmarks.bench_archive_page")

    lines = re.findall(
        r"^BENCH archive_page rows=3000 term=(\S+) hits=(\d+) n=10 .* queries=(\d+)", stdout, re.M
    )
    terms = [term for term, _, _ in lines]
    assert terms == ["数字", "工信〔2022〕", "政府", "数字"], output[-3000:]
    assert all(int(hits) > 0 for _, hits, _ in lines), output[-3000:]
    assert re.search(r"^calibration python_ms=[\d.]+ postgres_ms=[\d.]+$", stdout, re.M)
    assert re.search(r"^BENCH archive_page goal p95<50ms (met|missed)$", stdout, re.M)
