"""Getting the store ready for the mail servers' readers.

SQLite: write-ahead logging, so Postfix and Dovecot read while a command
writes, and a command never waits for them (docs/adr/0040). The mode is
kept in the file: set once, by ``sema mail-config``. PostgreSQL readers
never wait for writers: nothing to do.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url


def prepare_store(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    with sqlite3.connect(url.database) as connection:
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"{url.database}: could not switch to write-ahead logging (journal mode {mode})")
