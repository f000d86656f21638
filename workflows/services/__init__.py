"""Typed service functions (the actions layer): each owns its transaction, locks the rows it
moves, calls the state machine, writes the audit event and schedules side effects on commit."""
