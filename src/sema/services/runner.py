"""The command runner: one database transaction per command, and the lost-race retry.

A command loads aggregates, calls them, and saves every changed aggregate,
the credential rows it writes and (inline) the read-model rows and outbox
notices the events make, in one transaction. The event store's optimistic
concurrency is the only lock: when another writer got there first the save
raises ``IntegrityError`` and the whole command runs again on fresh state
(ADR 10 says for how long).
"""

from __future__ import annotations

import functools
import gc
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from eventsourcing.persistence import IntegrityError, Recording
from sqlalchemy.orm import Session

from domain.base import SemaAggregate
from domain.errors import ConcurrencyConflict
from sema import nowait
from sema.services.aggregate_cache import AggregateCache

R = TypeVar("R")
P = ParamSpec("P")
S = TypeVar("S", bound="HasRunner")

# Runs inside a command's transaction after its events are recorded: inline projections, outbox.
InlineProcessor = Callable[[Session, Sequence[Recording]], None]


class Transactional(Protocol):
    """The recorder of eventsourcing-sqlalchemy: a transaction whose session also holds the events saved in it."""

    def transaction(self, commit: bool) -> AbstractContextManager[Session]: ...


class EventStore(Protocol):
    """What the runner needs of the eventsourcing application."""

    @property
    def recorder(self) -> Any: ...

    def save(self, *objs: Any) -> list[Recording]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How long a command keeps re-running after lost races.

    A writer busy with one aggregate can win race after race against a loser
    that re-runs at once; a random pause that grows, for a while rather than a
    number of times, lets the loser through."""

    budget_s: float = 5.0
    first_pause_s: float = 0.002
    max_pause_s: float = 0.05

    def pause(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_pause_s, self.first_pause_s * 2**attempt))


class UnitOfWork:
    """One command's transaction as its handler sees it: the session (for
    credential rows) and :meth:`save`."""

    def __init__(self, session: Session, store: EventStore, processors: Sequence[InlineProcessor], cache: AggregateCache | None = None) -> None:
        self.session = session
        self._store = store
        self._processors = processors
        self._cache = cache

    def save(self, *aggregates: SemaAggregate | None) -> list[Recording]:
        """Records the pending events of every given aggregate (``None`` skipped), then
        lets the inline processors write what follows from them, all in this transaction."""
        saving = [a for a in aggregates if a is not None]
        recordings = self._store.save(*saving)
        for process in self._processors:
            process(self.session, recordings)
        if self._cache is not None:
            self._cache.touched(saving)
        return recordings


class CommandRunner:
    def __init__(self, store: EventStore, retry: RetryPolicy = RetryPolicy(), cache: AggregateCache | None = None) -> None:
        self.store = store
        self.retry = retry
        self.cache = cache
        self.inline_processors: list[InlineProcessor] = []

    def run(self, work: Callable[[UnitOfWork], R]) -> R:
        """Runs ``work`` in one transaction; a lost race re-runs it on fresh state."""
        give_up_at = time.monotonic() + self.retry.budget_s
        attempt = 0
        while True:
            try:
                with self.cache.command() if self.cache is not None else nullcontext(), self.store.recorder.transaction(commit=True) as session:
                    result = work(UnitOfWork(session, self.store, self.inline_processors, self.cache))
                nowait.committed()
                return result
            except IntegrityError:
                if not nowait.may_wait():
                    raise nowait.WouldWait("a lost race: the command runs again where it may pause") from None
                pause = self.retry.pause(attempt)
                if time.monotonic() + pause > give_up_at:
                    raise ConcurrencyConflict() from None
                time.sleep(pause)
                attempt += 1

    def read(self) -> AbstractContextManager[Session]:
        """A read-only transaction (rolled back), for checks made before a command."""
        return self.store.recorder.transaction(commit=False)  # type: ignore[no-any-return]


class HasRunner(Protocol):
    run: Callable[[Callable[[UnitOfWork], Any]], Any]


def command(method: Callable[Concatenate[S, UnitOfWork, P], R]) -> Callable[Concatenate[S, P], R]:
    """Makes a service method one command: its body runs in the command's
    transaction (the ``uow`` argument, which callers do not pass), re-run from
    the start after a lost race, so it must only read and decide."""

    @functools.wraps(method)
    def run_as_command(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        result: R = self.run(lambda uow: method(self, uow, *args, **kwargs))
        return result

    return run_as_command


_paused = 0
_paused_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a big command builds thousands
    of objects that all stay alive until it commits (a bulk add: a quarter of its
    time went to collections that found nothing). Process-wide, so counted across
    threads: the collector is back on when the last such command ends."""
    global _paused
    with _paused_lock:
        _paused += 1
        gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0:
                gc.enable()
