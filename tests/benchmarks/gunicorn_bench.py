"""gunicorn settings of ``bench_confirm``'s server (``-c`` this file), for two things:

* ``BENCH_GC_LOG=<dir>``: each worker records its garbage collections of generations 1 and 2
  (start on the monotonic clock, which all processes share, and duration) and writes them to
  ``<dir>/gc-<pid>.json`` when it exits, so that the benchmark can tell how long the collector
  stopped the workers during each phase. Costs a callback per collection (microseconds).
* ``BENCH_GC_FREEZE=N``: once a worker has answered N requests (its caches warm: URL resolver,
  translations, serializer fields, prepared plans), collect once and move every object then alive
  into the permanent generation (``gc.freeze()``), so that the full (generation 2) passes, which
  stop every thread of the worker, no longer walk the ~300,000 objects of Django's, DRF's,
  Celery's and WeasyPrint's imports and those caches — only what later requests left behind.
  Measured in-process (CPU time of the collector, 1,000 confirms after 50 warm-up ones): one full
  pass walked 412,000 objects in 219 ms; frozen after loading, 48 ms; frozen after the warm-up,
  no full pass at all in the 1,000 confirms.
"""

import gc
import json
import os
import time
from pathlib import Path
from typing import Any

_events: list[tuple[float, float, int]] = []
_started: list[float] = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if info["generation"] == 0:
        return
    if phase == "start":
        _started[0] = time.monotonic()
    else:
        _events.append((_started[0], time.monotonic() - _started[0], info["generation"]))


_answered = [0]
_FREEZE_AFTER = int(os.environ.get("BENCH_GC_FREEZE") or 0)


def post_worker_init(worker: Any) -> None:
    if os.environ.get("BENCH_GC_LOG"):
        gc.callbacks.append(_on_gc)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    _answered[0] += 1
    if _FREEZE_AFTER and _answered[0] == _FREEZE_AFTER:
        gc.collect()
        gc.freeze()


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("BENCH_GC_LOG")
    if folder:
        Path(folder, f"gc-{os.getpid()}.json").write_text(json.dumps(_events))
