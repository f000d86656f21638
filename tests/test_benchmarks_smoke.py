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
    assert forward.group(1) == "201"  # 4 units × 50 and one person named outside them
    # set-based, and the same number tests/test_forward_scale.py asserts for 10,001 recipients
    assert forward.group(2) == "21"
    pairs = re.search(r"^BENCH forward .* pairs=(\d+) ratio_min=[\d.]+ ", stdout, re.M)
    assert pairs is not None, output[-6000:]
    assert pairs.group(1) == "7"  # interleaved (forward, raw) pairs
    confirm = re.search(
        r"^BENCH confirm recipients=(\d+) confirmations=(\d+) .*checks=(\w+)", stdout, re.M
    )
    assert confirm is not None, output[-6000:]
    # 200 pairs are used up well within the 3 s run: every recipient confirmed exactly once,
    # with no non-2xx answers and the audit chain intact (checks=ok).
    assert confirm.groups() == ("200", "200", "ok"), output[-6000:]
    # The open loop (issue 12): confirm and the minimal endpoint at 25/50/75 % of the measured
    # rate, every scheduled request answered 2xx, every confirm answered stored in the database.
    open_runs = re.findall(
        r"^BENCH openloop endpoint=(\w+) fraction=([\d.]+) rate=[\d.]+ scheduled=(\d+) "
        r"answered=(\d+) errors=(\d+) non_2xx=(\d+) .* confirmed_in_db=(\d+)$",
        stdout,
        re.M,
    )
    assert sorted((e, f) for e, f, *_ in open_runs) == [
        (endpoint, fraction)
        for endpoint in ("confirm", "tokens")
        for fraction in ("0.25", "0.5", "0.75")
    ], output[-6000:]
    for endpoint, _fraction, scheduled, answered, errors, non_2xx, stored in open_runs:
        assert int(scheduled) > 0
        assert (answered, errors, non_2xx) == (scheduled, "0", "0"), output[-6000:]
        assert stored == (answered if endpoint == "confirm" else "0"), output[-6000:]
    # The CPU calibration is printed with the results.
    assert re.search(r"^BENCH calibration python_ms=\d+\.\d postgres_ms=\d+\.\d$", stdout, re.M)
