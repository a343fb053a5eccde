"""The pure domain: aggregates, events, value objects and errors (no I/O)."""
