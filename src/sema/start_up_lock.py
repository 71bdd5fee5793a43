"""One process at a time opens a store for the first time (ADR 69).

At start every process makes what it needs and finds missing: the event
store's tables, the side tables, the read models' tables, FTS tables and
indexes, and the fills of an upgrade. Each is a look then a create, which two
processes started together both pass: on PostgreSQL the loser's CREATE TABLE
fails (``DuplicateTable``, or a unique violation on ``pg_type``: IF NOT EXISTS
does not help under concurrency); on SQLite DDL runs outside a transaction, so
the loser's fails with "table … already exists". Under this lock the second
process waits for the first to finish and then finds everything made.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import make_url

# The key of the advisory lock; any number, fixed (advisory locks are per database).
START_UP_KEY = 0x53454D41_53544152  # "SEMASTAR"


@contextmanager
def start_up_lock(url: str) -> Iterator[None]:
    """Held while the body runs, by one process at a time per store (``url``, as
    SQLAlchemy takes it). PostgreSQL: a transaction-level advisory lock on a
    connection of its own, released at its end whatever happens, a crash
    included. A SQLite file: ``flock`` on a file beside it (SQLite's own lock
    would also keep out this process's other connections, which do the
    creating). An in-memory database has one process: nothing to take."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, poolclass=NullPool)
        try:
            with engine.connect() as connection, connection.begin():
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": START_UP_KEY})
                yield
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") and "mode=memory" not in url:
        descriptor = os.open(f"{parsed.database}-start-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # per open file, so threads of one process exclude each other too
            yield
        finally:
            os.close(descriptor)  # releases the lock
    else:
        yield
