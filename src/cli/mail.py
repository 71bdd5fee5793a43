"""``sema mail-config --postfix DIR --dovecot DIR`` and ``sema mail-policy``.

``mail-config`` writes the configuration that connects Postfix and Dovecot to
this deployment's store (``mail.config``) and, on SQLite, switches the store
to write-ahead logging so the mail servers read while commands write.
``mail-policy`` runs the listener Dovecot reports IMAP log-ins to.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from mail.config import POLICY_PATH, Store, policy_key, write_dovecot, write_postfix
from mail.policy import policy_app
from mail.store import prepare_store
from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings

POSTFIX_SPOOL = Path("/var/spool/postfix")


def add_config_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    parser.add_argument("--postfix", type=Path, required=True, metavar="DIR", help="where to write the Postfix map files and main.cf.sema (e.g. /etc/postfix/sema)")
    parser.add_argument("--dovecot", type=Path, required=True, metavar="DIR", help="where to write sema.conf and its SQL files (e.g. /etc/dovecot/sema)")
    parser.add_argument("--postfix-spool", type=Path, default=POSTFIX_SPOOL, metavar="DIR", help=f"Postfix's queue directory, for Dovecot's LMTP and SASL sockets (default {POSTFIX_SPOOL})")


def run_config(args: argparse.Namespace) -> int:
    settings = Settings()
    url = settings.resolved_database_url()
    try:
        store = Store.from_url(url, settings.mail_lookup_user, settings.mail_lookup_password)
    except ValueError as error:
        print(f"sema mail-config: {error}", file=sys.stderr)
        return 2
    # The read model's tables exist once the application has started on the store.
    build_application(settings).close()
    prepare_store(url)
    policy_url = f"http://{settings.mail_policy_host}:{settings.mail_policy_port}{POLICY_PATH}"
    key = policy_key(settings.resolved_secret_key())
    postfix = write_postfix(args.postfix, store, lmtp="unix:private/dovecot-lmtp", sasl="private/auth")
    dovecot = write_dovecot(args.dovecot, store, settings.mail_root, policy_url, key, postfix_spool=args.postfix_spool)
    print(f"Postfix: add {postfix['main']} to main.cf (its maps are beside it), then `postfix reload`.")
    print(f"Dovecot: add `!include {dovecot['conf']}` to dovecot.conf, then `doveadm reload`.")
    print(f"Maildirs: {settings.mail_root}, owned by the mail user (uid 8).")
    print(f"Log-in reports: run `sema mail-policy` (listens on {settings.mail_policy_host}:{settings.mail_policy_port}).")
    return 0


def add_policy_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    pass


def run_policy(args: argparse.Namespace) -> int:
    settings = Settings()
    app = build_application(settings)
    try:
        uvicorn.run(policy_app(app, SystemClock().now), host=settings.mail_policy_host, port=settings.mail_policy_port, log_config=None)
    finally:
        app.close()
    return 0
