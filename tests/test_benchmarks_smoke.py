"""The benchmarks still run: ``python -m tests.benchmarks.run --size small`` end to end.

Not a performance test (the timings of a small run on a shared CI machine mean little): it checks
that both benchmarks set up, run and count correctly, so that they do not rot. It deliberately
carries no ``benchmark`` marker (that one is opt-in) and no skip: it runs with the suite. It runs
in its own database (``tests.benchmark_smoke``), needs ``wrk`` (installed by scripts/bootstrap)
and never writes docs/benchmarks.md.
"""

import re

from tests.benchmark_smoke import run_small


def test_benchmarks_run_at_small_size() -> None:
    stdout, output = run_small("run", "tests.benchmarks.run")

    forward = re.search(r"^BENCH forward recipients=(\d+) .*queries=(\d+)", stdout, re.M)
    assert forward is not None, output[-6000:]
    assert forward.group(1) == "200"
    assert int(forward.group(2)) < 40  # set-based: no query per recipient
    confirm = re.search(
        r"^BENCH confirm recipients=(\d+) confirmations=(\d+) .*checks=(\w+)", stdout, re.M
    )
    assert confirm is not None, output[-6000:]
    # 200 pairs are used up well within the 3 s run: every recipient confirmed exactly once,
    # with no non-2xx answers and the audit chain intact (checks=ok).
    assert confirm.groups() == ("200", "200", "ok"), output[-6000:]
