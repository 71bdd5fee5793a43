"""``sema demo``: loads a realistic demo store (``sema.demo``) and prints the
demo administrators' one-time passwords. It loads only into a new store,
unless told (or, on a terminal, answered) otherwise."""

from __future__ import annotations

import argparse
import sys

from domain.errors import OrganisationCodeTaken
from projections import queries
from sema.application import SERVICE_ORGANISATION_CODE, SemaApplication
from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings
from sema.demo import load


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=7, help="seed for the demo's names and choices")
    parser.add_argument("--yes", action="store_true", help="load into a store that already holds data, without asking")


def _organisations_held(app: SemaApplication) -> int:
    """Organisations besides the service's own: a store where only ``sema serve`` has started is new."""
    with app.engine.connect() as connection:
        return sum(1 for o in queries.organisations(connection) if o.code != SERVICE_ORGANISATION_CODE)


def _agreed(held: int) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"This store already holds {held} organisation(s). Load the demo into it as well? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    clock = SystemClock()
    app = build_application(settings)
    try:
        held = _organisations_held(app)
        if held and not (args.yes or _agreed(held)):
            print(
                f"sema demo: the store at {settings.store_shown()} already holds {held} organisation(s); "
                "the demo goes into a new store (or pass --yes to add it anyway)",
                file=sys.stderr,
            )
            return 1
        credentials = app.bootstrap(clock.now())
        if credentials is not None:
            print(f"Service administrator: username {credentials[0]}, one-time password {credentials[1]}")
        try:
            administrators = load(app, clock, args.seed)
        except OrganisationCodeTaken:
            print("The demo is already loaded in this store (its organisation codes are taken).", file=sys.stderr)
            return 1
        print("Demo loaded: 4 organisations, 1,000 users (counting the administrators), distribution lists, group mailboxes, an exceptional-access request.")
        print("Demo organisation administrators (log in with the one-time password, then choose your own):")
        for organisation, username, one_time_password in administrators:
            print(f"  {organisation:<40} username {username:<24} one-time password {one_time_password}")
        return 0
    finally:
        app.close()
