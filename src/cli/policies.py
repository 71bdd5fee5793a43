"""``sema policies run [--interval S]`` and ``sema policies tick [--now ISO]``.

``run`` loops: every interval, one pass of the time-based policies at the
system clock's time, then one mail delivery pass. ``tick`` makes one pass and
exits; with ``--now`` it acts as if it were that moment (a fixed clock), which
is how an operator catches up by hand or a test drives time.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import datetime
from uuid import uuid4

from domain.errors import InvalidValue
from policies.mailer import Mailer
from policies.runner import PolicyLoop, PolicyRunner
from sema import logs
from sema.application import SemaApplication
from sema.bootstrap import build_application
from sema.clock import Clock, FixedClock, SystemClock, as_utc
from sema.config import Settings


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="run the policies and deliver mail every interval (Ctrl-C stops)", parents=[flags])
    run.add_argument("--interval", type=float, help="seconds between passes (SEMA_POLICY_INTERVAL_S, default 60)")
    tick = actions.add_parser("tick", help="one pass of the policies, then one mail delivery pass", parents=[flags])
    tick.add_argument("--now", help="act as at this ISO 8601 time with a UTC offset, e.g. 2026-03-01T09:00:00+00:00")
    tick.add_argument("--no-mail", action="store_true", help="leave the outbox alone")


def parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue("--now", f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("--now", "give a UTC offset, e.g. 2026-03-01T09:00:00+00:00")
    try:
        return as_utc(moment)
    except ValueError as error:
        raise InvalidValue("--now", str(error)) from None


def run(args: argparse.Namespace) -> int:
    try:
        clock: Clock = FixedClock(parse_now(args.now)) if getattr(args, "now", None) else SystemClock()
        interval = getattr(args, "interval", None)
        if interval is not None and interval <= 0:
            raise InvalidValue("--interval", "must be a positive number of seconds")
        app = build_application(Settings())
    except InvalidValue as error:
        print(f"sema policies: {error.message}", file=sys.stderr)
        return 2
    try:
        try:
            # Mail goes by the real clock even when the policies act as at --now:
            # a lease or a retry time is about this process, not the policies' moment.
            mailer = Mailer(app, SystemClock())
        except InvalidValue as error:
            print(f"sema policies: SEMA_SMTP_URL: {error.message}", file=sys.stderr)
            return 2
        if args.action == "tick":
            return _tick(app, clock, mailer, args.no_mail)
        loop = PolicyLoop(app, clock, interval=interval, mailer=mailer)
        # A service manager stops us with SIGTERM: finish the current pass, then exit.
        signal.signal(signal.SIGTERM, lambda signum, frame: loop.request_stop())
        print(f"sema policies: running every {loop.interval:g} s (Ctrl-C or SIGTERM stops)", file=sys.stderr, flush=True)
        loop.start()
        try:
            while loop.running:
                loop.join(1.0)
        except KeyboardInterrupt:
            pass
        finally:
            loop.stop()
        return 0
    finally:
        app.close()
        app.engine.dispose()


def _tick(app: SemaApplication, clock: Clock, mailer: Mailer, no_mail: bool) -> int:
    with logs.bound(pass_id=uuid4().hex, actor="system:policies"):
        report = PolicyRunner(app).tick(clock.now())
        print(f"policies: {report.summary()}")
        if not no_mail:
            if mailer.configured:
                print(f"mail: {mailer.deliver().summary()}")
            else:
                print(f"mail: SEMA_SMTP_URL is not set; {len(mailer.pending(SystemClock().now()))} notice(s) wait in the outbox")
    return 1 if report.failed else 0
