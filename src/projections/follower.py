"""Following the store: applying new events to the read models as they are
recorded, when the server runs without inline read models."""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog
from eventsourcing.persistence import Subscription

from projections.framework import Projections

log = structlog.get_logger("sema.projections")


def follow(projections: Projections, names: list[str], interval: float, stop: threading.Event) -> None:
    """Catches up, then again whenever the store has news, until ``stop`` is set.

    PostgreSQL: woken by the library's LISTEN/NOTIFY subscription, with
    ``interval`` as a fallback poll; SQLite (no subscriptions): polls every
    ``interval`` seconds."""
    news = threading.Event()
    subscription, listener = None, None
    if projections.engine.dialect.name == "postgresql":
        subscription = projections.store.recorder.subscribe(gt=projections.source.max_id())
        listener = threading.Thread(target=_listen, args=(subscription, news), daemon=True)
        listener.start()
    try:
        while True:
            news.clear()
            seen = projections.catch_up(names)
            if seen:
                log.info("read models caught up", events=seen)
            if stop.is_set():
                return
            deadline = time.monotonic() + interval
            while not (news.is_set() or stop.is_set()) and time.monotonic() < deadline:
                news.wait(0.05)
    finally:
        if subscription is not None:
            subscription.stop()
        if listener is not None:
            listener.join(5)


def _listen(subscription: Subscription[Any], news: threading.Event) -> None:
    try:
        for _ in subscription:
            news.set()
    except Exception:  # a lost connection: the interval poll carries on
        pass
