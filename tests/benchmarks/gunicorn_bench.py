"""gunicorn settings of ``bench_confirm``'s server (``-c`` this file): the production settings
(``circulation/gunicorn_conf.py``, what the Dockerfile and docker-compose.yml run) plus a log of
the workers' garbage collections.

* The production worker model: ``worker_class`` and ``workers`` (sync, ``WEB_CONCURRENCY`` or
  2 × cores + 1); ``run.py --worker-class`` / ``--workers`` override them on the command line.

* The production hook: each worker collects once and freezes its heap (``gc.freeze()``) after its
  first ``GC_FREEZE_AFTER_REQUESTS`` requests (default 50), so that the full (generation 2)
  passes, which stop every thread of the worker, no longer walk the ~300,000 objects of the
  imports and warm caches. ``run.py --no-gc-freeze`` sets ``GC_FREEZE_AFTER_REQUESTS=0`` for the
  comparison (the freeze after loading, in ``circulation/wsgi.py``, stays).
* ``BENCH_GC_LOG=<dir>``: each worker records its garbage collections of generations 1 and 2
  (start on the monotonic clock, which all processes share, and duration) and writes them to
  ``<dir>/gc-<pid>.json`` when it exits, so that the benchmark can tell how long the collector
  stopped the workers during each phase. Costs a callback per collection (microseconds).
"""

import gc
import json
import os
import time
from pathlib import Path
from typing import Any

from circulation.gunicorn_conf import post_request as production_post_request
from circulation.gunicorn_conf import worker_class, workers  # noqa: F401 (production's model)

_events: list[tuple[float, float, int]] = []
_started: list[float] = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if info["generation"] == 0:
        return
    if phase == "start":
        _started[0] = time.monotonic()
    else:
        _events.append((_started[0], time.monotonic() - _started[0], info["generation"]))


def post_worker_init(worker: Any) -> None:
    if os.environ.get("BENCH_GC_LOG"):
        gc.callbacks.append(_on_gc)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    production_post_request(worker, req, environ, resp)


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("BENCH_GC_LOG")
    if folder:
        Path(folder, f"gc-{os.getpid()}.json").write_text(json.dumps(_events))
