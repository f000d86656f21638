"""The intake benchmark still runs: ``python -m tests.benchmarks.bench_intake --size small`` (40
generated notices in five formats, dry run and commit) in its own database. Checks the counts,
not the timings (a shared CI machine's timings mean little); never writes docs/benchmarks.md."""

import re

from tests.benchmark_smoke import run_small


def test_the_intake_benchmark_runs_at_small_size() -> None:
    stdout, output = run_small("intake", "tests.benchmarks.bench_intake", timeout=600)
    formats = re.findall(r"^BENCH intake document format=(\w+) bytes=\d+ median_ms=", stdout, re.M)
    assert formats == ["txt", "gbk", "docx", "pdf", "ofd"], output[-4000:]
    dry = re.search(r"^BENCH intake folder mode=dry_run files=40 would_register=40 ", stdout, re.M)
    assert dry is not None, output[-4000:]
    commit = re.search(
        r"^BENCH intake folder mode=commit files=40 registered=40 notices=40 attachments=40 ",
        stdout,
        re.M,
    )
    assert commit is not None, output[-4000:]
    assert re.search(r"^BENCH intake checks=ok ", stdout, re.M), output[-4000:]
    assert re.search(r"^BENCH intake calibration python_ms=[\d.]+ postgres_ms=", stdout, re.M)
