"""Keep digests whole when sweeps overlap (PostgreSQL session advisory locks).

Sweeps may claim acknowledgements at the same time (``SKIP LOCKED`` shares the work), each holding
the *shared* lock. A digest phase takes the *exclusive* lock, so it starts only when no sweep is
still claiming and no other digest phase runs: everything decided by overlapping sweeps is then
visible to it, and a person gets one digest listing all of it rather than one per sweep. The locks
are held between the per-batch transactions, never while waiting for a row lock.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from django.db import connection

# Any fixed 64-bit number that no other advisory lock of this database uses: "CIRCREMD".
SWEEP_LOCK_KEY = 0x4349524352454D44


@contextmanager
def _advisory(shared: bool) -> Iterator[None]:
    lock, unlock = _SHARED if shared else _EXCLUSIVE
    with connection.cursor() as cursor:
        cursor.execute(lock, [SWEEP_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(unlock, [SWEEP_LOCK_KEY])


_SHARED = ("SELECT pg_advisory_lock_shared(%s)", "SELECT pg_advisory_unlock_shared(%s)")
_EXCLUSIVE = ("SELECT pg_advisory_lock(%s)", "SELECT pg_advisory_unlock(%s)")


def claiming() -> AbstractContextManager[None]:
    """Held by a sweep while it claims acknowledgements; many sweeps may hold it together."""
    return _advisory(shared=True)


def digesting() -> AbstractContextManager[None]:
    """Held while digests are written; waits for every claiming sweep to finish."""
    return _advisory(shared=False)
