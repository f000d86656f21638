"""gunicorn settings of the web process: ``gunicorn -c python:circulation.gunicorn_conf …``
(the Dockerfile's CMD, docker-compose.yml's web, the confirm benchmark's server).

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


def _freeze_after() -> int:
    value = os.environ.get("GC_FREEZE_AFTER_REQUESTS", "").strip()
    if not value:
        return 50
    if not value.isdigit():
        raise ValueError(f"GC_FREEZE_AFTER_REQUESTS must be a whole number, not {value!r}")
    return int(value)


_FREEZE_AFTER = _freeze_after()
# Requests this worker has answered. next() on a count is atomic under the GIL, so exactly one
# of the gthread worker's threads sees the N-th.
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
