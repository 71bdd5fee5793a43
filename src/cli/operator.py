"""``sema operator unlock USERNAME`` and ``sema operator reissue USERNAME``: break
glass for a locked-out service administrator (``sema.services.break_glass``).

Whoever can run this has the store and its key, which is authority enough; the
change is recorded as by ``system:operator`` and the administrator is told by
email. ``reissue`` prints a new one-time password once and ends the
administrator's sessions.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from api.sessions import SessionStore
from domain.actors import system_actor
from domain.errors import DomainError
from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    for action, help_text in (
        ("unlock", "unlock a locked service administrator"),
        ("reissue", "give a service administrator a new one-time password (and unlock them); ends their sessions"),
    ):
        sub = actions.add_parser(action, help=help_text, description=help_text, parents=[flags])
        sub.add_argument("username", help="the service administrator's username")


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    app = build_application(settings)
    actor, at = system_actor("operator"), SystemClock().now()
    try:
        if args.action == "unlock":
            app.break_glass.unlock(actor, at, args.username)
            print(f"{args.username} is unlocked")
            return 0
        user, otp, expires_at = app.break_glass.reissue(actor, at, args.username)
        SessionStore(app.engine, timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_absolute_hours)).close_all_for(user.id)
        print(f"username:          {user.username}\none-time password: {otp}\nexpires:           {expires_at:%Y-%m-%d %H:%M} UTC")
        return 0
    except DomainError as error:
        print(f"sema operator {args.action}: {error.message}", file=sys.stderr)
        return 2
    finally:
        app.close()
        app.engine.dispose()
