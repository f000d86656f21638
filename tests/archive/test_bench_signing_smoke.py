"""The signing benchmark still runs (``--size small``: one recipient, one run, three verifications)
in its own database (``tests.benchmark_smoke``): its records are signed and verify — not the
timings."""

import re

from tests.benchmark_smoke import run_small


def test_signing_benchmark_runs_at_small_size() -> None:
    _stdout, output = run_small("signing", "tests.benchmarks.bench_signing")
    assert re.search(
        r"^BENCH signing recipients=1 pdf_kb=\d+ signed_kb=\d+ stamp_ms=\d+ "
        r"stamp_and_sign_ms=\d+ sign_record_ms=\d+ adds_ms=-?\d+ runs=1$",
        output,
        re.M,
    ), output[-3000:]
    assert re.search(r"^BENCH signing archive recipients=1 signed=true ms=\d+", output, re.M)
    assert re.search(r"^BENCH signing archive recipients=1 signed=false ms=\d+", output, re.M)
    assert re.search(r"^BENCH signing verify recipients=1 ms=\d+ .*runs=3 ", output, re.M)
    assert re.search(r"^BENCH signing cpu recipients=1 stamp_ms=\d+ .*adds_ms=-?\d+", output, re.M)
    # the 1-recipient records of the first part (1 signed) and 3 more, in one batch of 8 statements
    assert re.search(
        r"^BENCH signing verify_batch records=4 batch=\d+ cpu_ms_per_record=\S+ "
        r"wall_ms_per_record=\S+ queries=8 ",
        output,
        re.M,
    ), output[-3000:]
    assert re.search(r"^BENCH signing calibration_before python_ms=\S+", output, re.M)
