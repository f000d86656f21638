"""The entry point the sweep uses to hand written outbox messages to the delivery tasks."""

from collections.abc import Sequence


def schedule_delivery(message_ids: Sequence[int]) -> None:
    """After the current transaction commits, queue delivery of these outbox messages.

    Placeholder until the delivery tasks exist: messages stay ``pending`` and the periodic
    dispatcher (also to come) picks them up from the database.
    """
    del message_ids
