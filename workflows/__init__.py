"""workflows — the state machines, the services that move them, and the clockwork."""
