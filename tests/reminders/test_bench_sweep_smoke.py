"""The reminder sweep benchmark still runs: ``python -m tests.benchmarks.bench_sweep --size small``.

Not a performance test (no timing is asserted: a small run on a shared machine means little): it
checks that the benchmark builds its data, sweeps it in its child processes and counts what the
sweep wrote — 1,000 overdue acknowledgements of 100 people, so 1,000 reminders in 100 digests —
so that the script does not rot. It runs in its own database (``tests.benchmark_smoke``),
publishes the delivery tasks to kombu's filesystem transport in a temporary folder
(no Redis needed) and never writes docs/benchmarks.md.
"""

import re

from tests.benchmark_smoke import run_small


def test_sweep_benchmark_runs_at_small_size() -> None:
    stdout, output = run_small(
        "sweep",
        "tests.benchmarks.bench_sweep",
        "--broker",
        "filesystem",
        url_option="--database-url",
    )

    line = re.search(r"^BENCH sweep (.*)$", stdout, re.M)
    assert line is not None, output[-6000:]
    fields = dict(pair.split("=", 1) for pair in line.group(1).split())
    assert fields["acks"] == "1000", line.group(0)
    assert fields["people"] == "100", line.group(0)
    assert fields["reminders"] == "1000", line.group(0)
    assert fields["digests"] == "100", line.group(0)
    assert fields["messages"] == "100", line.group(0)
    assert fields["notifications"] == "100", line.group(0)
    assert fields["chain"] == "ok", line.group(0)
    assert fields["second_sweep_new"] == "0", line.group(0)
    assert fields["per_claim_batch"].isdigit(), line.group(0)  # one count: bounded
