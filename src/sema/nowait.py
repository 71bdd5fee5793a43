"""Work that must not wait: a quick request run on the event loop (ADR 63).

On SQLite, a quick request (a one-user command, a page of a read model) runs
on the server's event loop when it is the only request in the process, which
saves the two thread hand-offs it would otherwise pay. The loop must never
wait there: while the request runs, no other request can start. So, inside
:func:`no_waiting`, everything that would wait refuses at once with
:class:`WouldWait` instead: the process's write lock held by another thread
(:class:`WriteLock`), SQLite's lock held by another process (a busy timeout
of zero, :func:`zero_busy_timeout_when_not_waiting`), a lost race's pause
(the command runner). Nothing was committed, so the request runs again, from
the start, in the thread pool, where waiting blocks only itself.

Once a command has committed (:func:`committed`), running the request again
would repeat it: from then on the rest of the request waits as usual.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class WouldWait(Exception):
    """Work inside :func:`no_waiting` would have waited; nothing of it was committed."""


@dataclass
class Attempt:
    committed: bool = False  # a command committed: running the request again would repeat it


_attempt: ContextVar[Attempt | None] = ContextVar("sema_no_waiting", default=None)


@contextmanager
def no_waiting() -> Iterator[Attempt]:
    """While the block runs, work refuses to wait (:class:`WouldWait`, or SQLite's
    ``database is locked`` at once) until a command commits."""
    attempt = Attempt()
    token = _attempt.set(attempt)
    try:
        yield attempt
    finally:
        _attempt.reset(token)


def may_wait() -> bool:
    attempt = _attempt.get()
    return attempt is None or attempt.committed


def committed() -> None:
    """A command committed: the request can no longer be run again, so it may wait."""
    attempt = _attempt.get()
    if attempt is not None:
        attempt.committed = True


def would_have_waited(error: BaseException) -> bool:
    """The error is a refusal to wait: ours, or SQLite's lock busy (through any wrapping)."""
    seen: BaseException | None = error
    for _ in range(5):  # eventsourcing's error wraps SQLAlchemy's, which wraps the driver's
        if seen is None:
            return False
        if isinstance(seen, WouldWait):
            return True
        if isinstance(seen, sqlite3.OperationalError) and str(seen).startswith("database is locked"):
            return True
        cause = seen.__cause__ or getattr(seen, "orig", None)
        if cause is None and seen.args and isinstance(seen.args[0], BaseException):
            cause = seen.args[0]
        seen = cause
    return False


class WriteLock:
    """The process's SQLite write lock (eventsourcing-sqlalchemy's ``write_lock``),
    taken without waiting while work must not wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        if may_wait():
            return self._lock.acquire()
        if not self._lock.acquire(blocking=False):
            raise WouldWait("another command holds this process's write lock")
        return True

    def release(self) -> None:
        self._lock.release()


def zero_busy_timeout_when_not_waiting(engine: Engine, lock_timeout_s: float) -> None:
    """A SQLite connection checked out while work must not wait has a busy timeout
    of zero (another process's lock: ``database is locked`` at once); otherwise
    the configured one. The pragma runs only when the value changes."""
    usual_ms = int(lock_timeout_s * 1000)

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        wanted = usual_ms if may_wait() else 0
        if record.info.get("busy_timeout_ms", usual_ms) != wanted:
            dbapi_connection.execute(f"PRAGMA busy_timeout={wanted}")
            record.info["busy_timeout_ms"] = wanted

    event.listen(engine, "checkout", on_checkout)
