"""The leader's 批办 inbox benchmark still runs: ``--size small`` end to end in its own database
(``tests.benchmark_smoke``: docs/benchmarks.md left unchanged): the page answers 200 listing the
leader's 50 oldest pending items in order with the "more" note, the same statements on every
request (the script exits non-zero otherwise) — not the timings, which mean little at this size
on a shared machine."""

import re

from tests.benchmark_smoke import run_small


def test_handling_inbox_benchmark_runs_at_small_size() -> None:
    stdout, output = run_small("handling_inbox", "tests.benchmarks.bench_handling_inbox")

    line = re.search(
        r"^BENCH handling_inbox pending=60 rows=(\d+) more=(\w+) n=10 .* queries=(\d+)$",
        stdout,
        re.M,
    )
    assert line, output[-3000:]
    assert line.group(1) == "50"
    assert line.group(2) == "True"
    # session, person, the two lists (51 rows at most each), the badge: no statement per row
    assert line.group(3) == "5"
    assert re.search(r"^calibration python_ms=[\d.]+ postgres_ms=[\d.]+$", stdout, re.M)
    assert re.search(r"^BENCH handling_inbox goal p95<50ms (met|missed)$", stdout, re.M)
