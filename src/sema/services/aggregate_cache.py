"""Aggregates kept between commands, each owned by one command at a time (issue 12).

Loading an aggregate read its snapshot and every event after it, and decoded
and replayed them, in every command: about a tenth of a one-user command's
time in the server (``benchmarks/bench_http.py``). A command now takes an
aggregate it finds here out of the cache, reads only the events recorded
after the version it holds (other processes write too: this read is never
skipped, so a decision never rests on a stale copy, and the event store's
unique versions still refuse a lost race), and replays those. After the
command's transaction commits, the aggregates it loaded or saved go back,
unless one still has events not saved (a change refused half-way). A command
that fails, or loses a race and runs again, puts nothing back: its copies
may hold what never committed, and the next load reads the store.

Taken, not shared: two commands never hold the same object, so nothing is
copied and no lock is held during a command. A second load of the same
aggregate meanwhile reads the store, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

# The aggregates the command running in this context loaded or saved (None: no command).
_touched: ContextVar[list[Any] | None] = ContextVar("sema_aggregates_touched", default=None)


class AggregateCache:
    def __init__(self, size: int, kinds: tuple[type, ...]) -> None:
        self.size = size
        self.kinds = kinds
        self._kept: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, aggregate_id: UUID) -> Any | None:
        """The kept aggregate, now this command's (``None`` outside a command, or if none is kept)."""
        if _touched.get() is None or not self.size:
            return None
        with self._lock:
            return self._kept.pop(aggregate_id, None)

    def touched(self, aggregates: Iterable[Any]) -> None:
        """The running command loaded or saved these: kept after it commits."""
        touched = _touched.get()
        if touched is not None:
            touched.extend(aggregates)

    @contextmanager
    def command(self) -> Iterator[None]:
        """One attempt of a command: what it touched is kept if the block ends without an error
        (its transaction committed). Inside another command, the outer one decides."""
        if _touched.get() is not None:
            yield
            return
        touched: list[Any] = []
        token = _touched.set(touched)
        try:
            yield
        finally:
            _touched.reset(token)
        self._keep(touched)

    def _keep(self, aggregates: list[Any]) -> None:
        if not self.size:
            return
        kept = [a for a in aggregates if isinstance(a, self.kinds) and not a.pending_events]
        if not kept:
            return
        with self._lock:
            for aggregate in kept:
                self._kept[aggregate.id] = aggregate
                self._kept.move_to_end(aggregate.id)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def __contains__(self, aggregate_id: object) -> bool:
        return aggregate_id in self._kept

    def __len__(self) -> int:
        return len(self._kept)
