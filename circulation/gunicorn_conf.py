"""gunicorn settings of the web process: ``gunicorn -c python:circulation.gunicorn_conf …``
(the Dockerfile's CMD, docker-compose.yml's web, the confirm benchmark's server).

The worker model: ``sync`` workers, ``WEB_CONCURRENCY`` of them (default 2 × CPU cores + 1, as
gunicorn's documentation advises). A sync worker answers one request at a time and accepts a
connection only when it is idle, so a request is taken by a free worker — never parked behind a
busy one while another idles, which a ``gthread`` worker does (it accepts while its threads are
busy and keeps each kept-alive connection). Measured open loop on 2 cores (docs/benchmarks.md,
"Confirm, open loop"): at 75 % of the closed-loop capacity, gthread (4 × 2 threads) saturated
(confirm p50 0.1–4 s) while 6 sync workers answered with p50 10 ms, p99 50 ms. Sync workers
expect a buffering reverse proxy (nginx) in front for slow clients, as gunicorn's documentation
says; a command-line ``--workers`` / ``-k`` still overrides these.

Garbage collection off the request path. A full (generation 2) collection walks every tracked
object of the worker with the GIL held, so every thread of the worker waits for it: 50–220 ms
in the confirm benchmark's workers, which set the open-loop p99 on their own
(docs/benchmarks.md, "what widens the tail"). ``circulation/wsgi.py`` freezes what importing the
application created (``gc.freeze()``: the permanent generation, never walked again); this hook
does it once more after the worker's first ``GC_FREEZE_AFTER_REQUESTS`` requests (default 50),
when its caches are warm — URL resolver, translations, serializer fields, prepared plans — with
one collection first, so that only live objects are frozen. Measured in-process (the
collector's CPU time, 1,000 confirms after 50 warm-up ones): one full pass of 412,000 objects
took 219 ms; frozen after loading, 48 ms; frozen after the warm-up, no full pass at all.

The collection and freeze run once per worker, after the answer of that request was written
(``post_request``). Frozen objects are never collected: that is why it happens once, after the
warm-up, and not periodically (garbage frozen later would stay). ``GC_FREEZE_AFTER_REQUESTS=0``
turns it off.
"""

from __future__ import annotations

import gc
import itertools
import os
from typing import Any


def _web_workers() -> int:
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not value:
        return 2 * (os.cpu_count() or 1) + 1
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number of at least 1, not {value!r}")
    return int(value)


worker_class = "sync"
workers = _web_workers()


def _freeze_after() -> int:
    value = os.environ.get("GC_FREEZE_AFTER_REQUESTS", "").strip()
    if not value:
        return 50
    if not value.isdigit():
        raise ValueError(f"GC_FREEZE_AFTER_REQUESTS must be a whole number, not {value!r}")
    return int(value)


_FREEZE_AFTER = _freeze_after()
# Requests this worker has answered. next() on a count is atomic under the GIL, so exactly one
# thread sees the N-th (should a gthread worker be chosen on the command line).
_answered = itertools.count(1)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """After the N-th request of this worker: collect once, then freeze what is left."""
    if _FREEZE_AFTER and next(_answered) == _FREEZE_AFTER:
        frozen = freeze_heap()
        worker.log.info(
            "gc.freeze() after %d requests: %d objects frozen (worker %s)",
            _FREEZE_AFTER,
            frozen,
            os.getpid(),
        )


def freeze_heap() -> int:
    """Collect, then move every object still alive into the permanent generation; how many
    objects are frozen now."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
