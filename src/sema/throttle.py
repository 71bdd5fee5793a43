"""Slowing down password guessing, per username and per client address.

A key (a username as typed, a client address) may fail ``free`` times at once; after
that, each failure makes the next attempt wait twice as long as the last, from
``first_delay`` up to ``longest``. A key that stays quiet for ``longest`` after
its wait is forgotten. An attempt made while its key must wait is refused
before any password is checked, and records nothing (docs/adr/0013).

Kept in the server process: it slows guessing without ever locking anyone out,
so losing it on a restart costs an attacker nothing they could not wait for.
The hard lock, which an administrator must undo, is the account's own
(``User.fail_log_in``) and comes only after many more failures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_KEYS = 100_000  # beyond this, quiet keys are forgotten first


@dataclass
class _Record:
    failures: int
    wait_until: datetime


class Throttle:
    def __init__(self, free: int, first_delay: timedelta, longest: timedelta) -> None:
        self.free = free
        self.first_delay = first_delay
        self.longest = longest
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def attempt(self, key: str, at: datetime) -> timedelta:
        """Admits an attempt (returns zero) or says how long ``key`` must still wait.

        An admitted attempt counts as a failure at once, so concurrent attempts
        cannot all slip through one opening; :meth:`succeeded` or
        :meth:`refund` takes it back."""
        with self._lock:
            record = self._records.get(key)
            if record is not None and at >= record.wait_until + self.longest:
                record = None
            if record is not None and at < record.wait_until:
                return record.wait_until - at
            if record is None:
                record = self._records[key] = _Record(0, at)
            record.failures += 1
            beyond = record.failures - self.free + 1  # the free-th failure already makes the next attempt wait
            record.wait_until = at + (min(self.first_delay * 2 ** (beyond - 1), self.longest) if beyond > 0 else timedelta(0))
            if len(self._records) > MAX_KEYS:
                self._forget_quiet(at)
            return timedelta(0)

    def succeeded(self, key: str) -> None:
        """The attempt was right: the key starts afresh."""
        with self._lock:
            self._records.pop(key, None)

    def refund(self, key: str) -> None:
        """The attempt was right, but the key is shared (a client address): only this attempt is taken back."""
        with self._lock:
            record = self._records.get(key)
            if record is not None:
                record.failures = max(0, record.failures - 1)

    def _forget_quiet(self, at: datetime) -> None:
        quiet = sorted(self._records, key=lambda k: self._records[k].wait_until)
        for key in quiet[: len(quiet) - MAX_KEYS // 2]:
            del self._records[key]
