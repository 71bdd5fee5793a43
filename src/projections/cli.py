"""``sema projections status|run|rebuild [NAME…]``.

``run`` follows the store: it applies new events to the read models every
``--interval`` seconds (polling works on both stores; the SQLite modules
have no subscriptions). ``rebuild`` fills shadow tables from the whole
history in batches while the live tables keep serving, then swaps them in.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from eventsourcing.persistence import Subscription
from sqlalchemy.orm import Session

from projections.framework import Projections


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="each read model's position against the store's last event")
    status.add_argument("names", nargs="*", metavar="NAME")
    run = actions.add_parser("run", help="follow the store, applying new events (Ctrl-C stops)")
    run.add_argument("names", nargs="*", metavar="NAME")
    run.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    run.add_argument("--once", action="store_true", help="catch up once and exit")
    rebuild = actions.add_parser("rebuild", help="rebuild from the full history into shadow tables, then swap")
    rebuild.add_argument("names", nargs="*", metavar="NAME")
    rebuild.add_argument("--batch-size", type=int, default=5000)


def run(args: argparse.Namespace) -> int:
    from sema.bootstrap import build_application
    from sema.config import Settings

    if getattr(args, "interval", 1.0) <= 0:
        print("sema projections: --interval must be positive", file=sys.stderr)
        return 2
    if getattr(args, "batch_size", 1) <= 0:
        print("sema projections: --batch-size must be positive", file=sys.stderr)
        return 2
    app = build_application(Settings(), inline_projections=False)
    try:
        projections = app.projections
        try:
            projections.by_name(args.names)
        except KeyError as error:
            print(f"sema projections: {error.args[0]}", file=sys.stderr)
            return 2
        if args.action == "status":
            return _status(projections, args.names)
        if args.action == "run":
            return _follow(projections, args.names, args.interval, args.once)
        return _rebuild(projections, args.names, args.batch_size)
    finally:
        app.close()
        app.engine.dispose()


def _status(projections: Projections, names: list[str]) -> int:
    last = projections.source.max_id()
    with Session(projections.engine) as session:
        for model in projections.by_name(names):
            position = model.position(session)
            behind = max(0, last - position)
            print(f"{model.name}: at {position} of {last}" + (f" ({behind} behind)" if behind else " (up to date)"))
    return 0


def _follow(projections: Projections, names: list[str], interval: float, once: bool) -> int:
    try:
        follow(projections, names, interval, stop=threading.Event() if not once else _stopped())
    except KeyboardInterrupt:
        pass
    return 0


def _stopped() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


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
                print(f"applied {seen} event(s)", file=sys.stderr, flush=True)
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


def _rebuild(projections: Projections, names: list[str], batch_size: int) -> int:
    total = projections.source.max_id()
    models = [m.name for m in projections.by_name(names)]
    bar = _progress_bar(f"rebuild {', '.join(models)}", total)
    started = time.perf_counter()
    projections.rebuild(models, batch_size=batch_size, progress=bar.update if bar else None)
    if bar:
        bar.close()
    print(f"rebuilt {', '.join(models)} from {total} event(s) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def _progress_bar(description: str, total: int) -> Any:
    """A tqdm bar on a terminal only; logs and pipes get one line per read model."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="event", unit_scale=True, file=sys.stderr)
