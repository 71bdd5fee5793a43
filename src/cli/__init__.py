"""The ``sema`` command line: the outermost layer, which wires the others up.

Each command's module here only parses its arguments and calls the package
that does the work. Configuration comes from ``SEMA_*`` environment
variables; every one of them also has a flag (``SEMA_DATA_DIR`` is
``--data-dir``) that is accepted anywhere on the line and wins.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from cli import audit, demo, mail, operator, policies, projections, serve
from sema import logs
from sema.config import ConfigurationError, Settings

SETTING = "setting_"
# Settings that are secrets: a flag's value is visible to every user of the machine (ps,
# /proc/PID/cmdline), a variable's only to the same user; the URLs when they hold a password.
SECRET_SETTINGS = ("secret_key", "mail_lookup_password", "mail_system_token")
URL_SETTINGS = ("database_url", "smtp_url")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser, argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS = [
    Command("serve", "run the HTTP API (and the policy loop) on the configured store", serve.add_arguments, serve.run),
    Command("demo", "load a realistic demo: organisations, 1,000 users, lists, group mailboxes", demo.add_arguments, demo.run),
    Command("projections", "read models: status, run (follow), rebuild", projections.add_arguments, projections.run),
    Command("policies", "time-based policies: run (loop), tick (one pass)", policies.add_arguments, policies.run),
    Command("mail-config", "write the Postfix and Dovecot configuration that connects them to this store", mail.add_config_arguments, mail.run_config),
    Command("mail-policy", "listen for Dovecot's IMAP log-in reports (failed log-ins, mailbox use)", mail.add_policy_arguments, mail.run_policy),
    Command("audit", "auditors: export, state, history, verify, digest, check-read-models", audit.add_arguments, audit.run),
    Command("operator", "break glass: unlock or re-issue a one-time password for a service administrator", operator.add_arguments, operator.run),
]


class UsageWithoutSettings(argparse.HelpFormatter):
    """A usage line without the configuration flags: some 40 of them buried a usage error's
    one line under a screenful. ``--help`` lists them all, in their own group."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action], groups: Iterable[Any], prefix: str | None = None) -> None:
        actions = list(actions)
        shown = [a for a in actions if not a.dest.startswith(SETTING)]
        if len(shown) < len(actions):
            shown.insert(1 if shown and shown[0].dest == "help" else 0, CONFIGURATION_PLACEHOLDER)
        super().add_usage(usage, shown, groups, prefix)


# Shown in a usage line for every configuration flag: ``[--SETTING VALUE]``.
CONFIGURATION_PLACEHOLDER = argparse.Action(option_strings=["--SETTING"], dest="configuration", metavar="VALUE", required=False)


class Parser(argparse.ArgumentParser):
    """Every parser of the line, nested commands' too (argparse makes them of their parent's class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", UsageWithoutSettings)
        super().__init__(*args, **kwargs)


def settings_flags() -> argparse.ArgumentParser:
    """A flag per setting, for every parser of the line (root and nested commands alike)."""
    flags = argparse.ArgumentParser(add_help=False)
    group = flags.add_argument_group("configuration, --SETTING VALUE in the usage (each flag sets its SEMA_* variable and wins over it)")
    for name, field in Settings.model_fields.items():
        variable = f"SEMA_{name.upper()}"
        help_text = variable + (f": {field.description}" if field.description else "")
        if name in SECRET_SETTINGS:
            help_text += f" (a secret: set {variable} instead; a flag's value is visible to other users in ps)"
        elif name in URL_SETTINGS:
            help_text += f" (with a password in it: set {variable} instead; a flag's value is visible to other users in ps)"
        group.add_argument(f"--{name.replace('_', '-')}", dest=SETTING + name, metavar="VALUE", default=argparse.SUPPRESS, help=help_text)
    return flags


def secrets_on_the_line(args: argparse.Namespace) -> list[str]:
    """The flags given that hold a secret, as they were spelled."""
    given = {key.removeprefix(SETTING): str(value) for key, value in vars(args).items() if key.startswith(SETTING)}
    found = [name for name in SECRET_SETTINGS if name in given]
    found += [name for name in URL_SETTINGS if name in given and _has_password(given[name])]
    return [f"--{name.replace('_', '-')}" for name in found]


def _has_password(url: str) -> bool:
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False  # Settings names what is wrong with it


def parser() -> argparse.ArgumentParser:
    flags = settings_flags()
    root = Parser(prog="sema", description="Secure eMail Administration", parents=[flags])
    commands = root.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help, parents=[flags])
        sub.set_defaults(run=command.run)
        command.add_arguments(sub, flags)
    return root


@contextmanager
def settings_from_flags(args: argparse.Namespace) -> Iterator[None]:
    """Flags are the same settings as the environment: they are set as its
    variables for the command's run (every Settings() reads them), then put back."""
    given = {"SEMA_" + key.removeprefix(SETTING).upper(): str(value) for key, value in vars(args).items() if key.startswith(SETTING)}
    before = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for flag in secrets_on_the_line(args):
        variable = "SEMA_" + flag.removeprefix("--").replace("-", "_").upper()
        print(f"sema: warning: {flag} is visible to every user of this machine (ps); set {variable} in the environment instead", file=sys.stderr)
    with settings_from_flags(args):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    command = f"sema {args.command}"
    try:
        settings = Settings()
        logs.configure(settings.log_format, settings.log_level)
        return int(args.run(args) or 0)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        # A bad SEMA_* variable or flag: name it rather than print a traceback.
        for problem in error.errors():
            variable = "SEMA_" + "_".join(str(part) for part in problem["loc"]).upper()
            print(f"{command}: configuration: {variable}: {problem['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        print(f"{command}: configuration: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        # The store cannot be reached or opened: say which, and the driver's reason, in a line.
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        print(f"{command}: the store at {settings.store_shown()} cannot be used: {reason}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``sema … | head``): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1

if __name__ == "__main__":
    sys.exit(main())
