"""``sema projections status|run|rebuild [NAME…]``.

``run`` follows the store: it applies new events to the read models as they
are recorded (``projections.follower``). ``rebuild`` fills shadow tables from
the whole history in batches while the live tables keep serving, then swaps
them in.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from sqlalchemy.orm import Session

from cli.progress import progress
from projections.follower import follow
from projections.framework import Projections
from sema.bootstrap import build_application
from sema.config import Settings


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="each read model's position against the store's last event", parents=[flags])
    status.add_argument("names", nargs="*", metavar="NAME")
    run = actions.add_parser("run", help="follow the store, applying new events (Ctrl-C stops)", parents=[flags])
    run.add_argument("names", nargs="*", metavar="NAME")
    run.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    run.add_argument("--once", action="store_true", help="catch up once and exit")
    rebuild = actions.add_parser("rebuild", help="rebuild from the full history into shadow tables, then swap", parents=[flags])
    rebuild.add_argument("names", nargs="*", metavar="NAME")
    rebuild.add_argument("--batch-size", type=int, default=5000)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "interval", 1.0) <= 0:
        print("sema projections: --interval must be positive", file=sys.stderr)
        return 2
    if getattr(args, "batch_size", 1) <= 0:
        print("sema projections: --batch-size must be positive", file=sys.stderr)
        return 2
    app = build_application(Settings(), inline_projections=False)
    try:
        assert app.projections is not None  # built by the composition root
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
    stop = threading.Event()
    if once:
        stop.set()
    try:
        follow(projections, names, interval, stop)
    except KeyboardInterrupt:
        pass
    return 0


def _rebuild(projections: Projections, names: list[str], batch_size: int) -> int:
    total = projections.source.max_id()
    models = [m.name for m in projections.by_name(names)]
    started = time.perf_counter()
    with progress(total, "event", f"rebuild {', '.join(models)}") as report:
        projections.rebuild(models, batch_size=batch_size, progress=report)
    print(f"rebuilt {', '.join(models)} from {total} event(s) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
