"""Time comes from a clock object: the system's in production, a settable one in tests."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class SettableClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's time must be timezone-aware")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, to: datetime) -> None:
        with self._lock:
            self._now = to

    def advance(self, by: timedelta) -> datetime:
        with self._lock:
            self._now += by
            return self._now


class FixedClock:
    """Always the same moment: ``sema policies tick --now`` acts as at that time."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock's time must be timezone-aware")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC (a time without a zone is taken as UTC).

    Raises ``ValueError`` for a moment UTC cannot represent: the last hours of
    year 9999 in a zone west of UTC, the first of year 1 east of it. Comparing
    such a time with a stored one would otherwise fail deep inside (OverflowError)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is outside the range of representable times (years 1 to 9999 in UTC)") from None
