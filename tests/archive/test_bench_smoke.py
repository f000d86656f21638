"""The archive-search benchmark still runs: ``--size small`` end to end in its own database
(``tests.benchmark_smoke``). It checks that the script runs and that the indexed search
and the ILIKE scan agree (the script exits non-zero otherwise) — not the timings."""

import re

from tests.benchmark_smoke import run_small


def test_archive_search_benchmark_runs_at_small_size() -> None:
    _stdout, output = run_small("archive", "tests.benchmarks.bench_archive_search")

    lines = re.findall(r"^BENCH archive_search rows=3000 term=(\S+) matches=(\d+)", output, re.M)
    assert [term for term, _ in lines] == [
        "政府",
        "数字",
        "数字政府",
        "工信〔2022〕",
        "25号",
        "区块链",
        "数字",
    ]
    assert [int(matches) > 0 for _, matches in lines] == [True] * 5 + [False, True], output[-3000:]
    assert re.search(r"^BENCH archive_search goal p95<20ms (met|missed)$", output, re.M)
