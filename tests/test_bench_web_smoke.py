"""The web pages benchmark still runs: ``python -m tests.benchmarks.bench_web --size small``.

Not a performance test (no timing is asserted: a small run on a shared machine means little): it
checks that the benchmark builds its bureau in bulk, signs in the clerk, a staff member and a
recipient, gets every page with a 200 and what it must show, and counts the same queries for every
request of a page — so that the script does not rot. It runs in its own database
(``tests.benchmark_smoke``) and never writes docs/benchmarks.md.
"""

import re

from tests.benchmark_smoke import run_small

PAGES = {"inbox", "board", "board_unit", "board_overdue", "notice_clerk", "notice_recipient"}


def test_web_benchmark_runs_at_small_size() -> None:
    stdout, output = run_small("web", "tests.benchmarks.bench_web", url_option="--database-url")

    data = re.search(r"^BENCH web-data (.*)$", stdout, re.M)
    assert data is not None, output[-6000:]
    built = dict(pair.split("=", 1) for pair in data.group(1).split())
    assert built["acks"] == "4000", data.group(0)
    assert built["notices"] == "200", data.group(0)
    assert built["big_recipients"] == "50", data.group(0)
    assert int(built["staff_acks"]) >= 30, data.group(0)
    calibration = re.search(r"^calibration python_ms=([\d.]+) postgres_ms=([\d.]+)$", stdout, re.M)
    assert calibration is not None, output[-6000:]
    assert float(calibration.group(1)) > 0
    assert float(calibration.group(2)) > 0

    pages = {}
    for line in re.findall(r"^BENCH web (page=.*)$", stdout, re.M):
        fields = dict(pair.split("=", 1) for pair in line.split())
        pages[fields["page"]] = fields
    assert set(pages) == PAGES, output[-6000:]
    for fields in pages.values():
        assert fields["n"] == "10", fields
        assert fields["queries"].isdigit(), fields  # one count for every request of the page
