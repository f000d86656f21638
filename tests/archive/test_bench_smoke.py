"""The archive-search benchmark still runs: ``--size small`` end to end in its own database
(``tests.benchmark_smoke``), through gunicorn too. It checks that the script runs, that every
kind of term was sampled and that each answer equalled the plan-independent query and the
ILIKE scan (the script exits non-zero otherwise) — not the timings."""

import re

from tests.benchmark_smoke import run_small


def test_archive_search_benchmark_runs_at_small_size() -> None:
    _stdout, output = run_small("archive", "tests.benchmarks.bench_archive_search")

    kinds = re.findall(
        r"^BENCH archive_search rows=3000 kind=(\S+) terms=(\d+) p50_ms=\S+ p95_ms=\S+ .*"
        r"http_p95_ms=\S+$",
        output,
        re.M,
    )
    assert [kind for kind, _ in kinds] == [
        "bigram",
        "title_substring",
        "body_substring",
        "文号_fragment",
        "absent",
        "with_年度_filter",
    ], output[-3000:]
    assert all(int(terms) >= 2 for _, terms in kinds)
    assert re.search(r"^BENCH archive_search rows=3000 band=0 terms=\d+", output, re.M)
    assert re.search(r"^BENCH archive_search rows=3000 pooled=all_terms terms=\d+", output, re.M)
    assert re.search(r"^BENCH archive_search rows=3000 ilike term=\S+ ms=\d+$", output, re.M)
    assert re.search(
        r"^BENCH archive_search calibration python_ms=\S+ postgres_ms=\S+$", output, re.M
    )
    assert re.search(r"^BENCH archive_search goal p95<=20ms every band (met|missed)$", output, re.M)
