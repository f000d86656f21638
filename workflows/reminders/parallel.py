"""Running a sweep phase on several database connections at once (``REMINDER_SWEEP_WORKERS``).

The sweep spends most of its time waiting for PostgreSQL, and PostgreSQL waiting for it: with one
connection only one of them works at a time. A phase can instead run in ``N`` threads, each with
its own connection (Django's connections are per thread), each on a disjoint share of the rows:
the ones whose key modulo ``N`` is its index (:meth:`Partition.only`) — the acknowledgements of
its notices when claiming (so that a notice's reminders of one sweep stay together, in one
``notice.reminded`` event when they fit in a batch), then its people when digesting. Disjoint
shares lock disjoint acknowledgements, reminders and people, so the threads never wait for each
other's rows (only for the audit chain head, briefly, at the end of a claim batch) and cannot
deadlock; notices are only ever key-share locked (by the foreign keys of what is inserted).

Every thread finishes its batch in hand; once one has failed, the others stop at their next batch
and the first error is raised to the caller, as if the phase had run in the caller's thread.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When

T = TypeVar("T")
QS = TypeVar("QS", bound=QuerySet[Any])


@dataclass(frozen=True)
class Partition:
    """Share ``index`` of ``count``; ``stopping()`` turns true once another share has failed."""

    index: int = 0
    count: int = 1
    _stop: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def only(self, queryset: QS, column: str) -> QS:
        """``queryset`` narrowed to the rows of this share (``column % count = index``)."""
        if self.count == 1:
            return queryset
        # As a CASE, not ``column % count = index``: PostgreSQL has no statistics for the
        # remainder and would guess that 0.5 % of the rows match, too few to fill a batch by
        # walking the id index, so it would join and sort every candidate for each batch. A
        # CASE it estimates at one half, which keeps the claim a walk along the index.
        share = Case(
            When(Q(sweep_share=self.index), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        return queryset.alias(sweep_share=F(column) % self.count).filter(share)

    def stopping(self) -> bool:
        return self._stop.is_set()


def configured_workers() -> int:
    """``REMINDER_SWEEP_WORKERS``, or 1 inside a transaction (a test's, say), whose uncommitted
    rows other connections would not see.
    """
    workers = max(1, int(getattr(settings, "REMINDER_SWEEP_WORKERS", 1)))
    if connection.in_atomic_block:
        return 1
    return workers


def run_partitioned(workers: int, work: Callable[[Partition], T]) -> list[T]:
    """``work(share)`` for each of ``workers`` shares; their results, in share order.

    With one worker, ``work`` runs in the caller's thread, on its connection. With more, every
    share runs in a thread of its own (the caller's thread only waits for them), each closing its
    connection when done; the first exception of any is re-raised here after all have stopped.
    """
    if workers <= 1:
        return [work(Partition())]
    stop = threading.Event()
    results: list[Any] = [None] * workers
    errors: list[BaseException | None] = [None] * workers

    def run(index: int) -> None:
        try:
            results[index] = work(Partition(index, workers, stop))
        except BaseException as exc:  # re-raised by the caller's thread below
            errors[index] = exc
            stop.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i,), name=f"reminder-sweep-{i}", daemon=True)
        for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results
