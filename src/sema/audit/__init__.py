"""Auditors' tools: the event history exported, aggregates replayed as at any
moment, the tamper-evident ledger verified, and read models checked against a
rebuild. All of them only read: they never issue a command."""
