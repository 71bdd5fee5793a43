"""The ``sema`` command line. Each group's commands live beside the code they
drive; this module only wires them up.

Configuration comes from ``SEMA_*`` environment variables; every command's
``--data-dir`` and ``--database-url`` set the same fields and win over them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

# (command, module with ``add_arguments(parser)`` and ``run(args) -> int``, help)
COMMANDS: list[tuple[str, str, str]] = [
    ("serve", "api.server", "run the HTTP API (and the policy loop) on the configured store"),
    ("demo", "sema.demo", "load a realistic demo: organisations, 1,000 users, lists, group mailboxes"),
    ("projections", "projections.cli", "read models: status, run (follow), rebuild"),
    ("policies", "policies.cli", "time-based policies: run (loop), tick (one pass)"),
    ("audit", "sema.audit.cli", "auditors: export, state, history, verify, digest, check-read-models"),
]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sema", description="Secure eMail Administration")
    commands = root.add_subparsers(dest="command", required=True)
    for name, module_name, help_text in COMMANDS:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module_name)
        sub.add_argument("--data-dir", help="data directory for the embedded SQLite store (SEMA_DATA_DIR)")
        sub.add_argument("--database-url", help="sqlite:///path or postgresql://… (SEMA_DATABASE_URL)")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is None or not module_name.startswith(error.name):
                raise
            sub.set_defaults(missing=True)
            continue
        module.add_arguments(sub)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Flags are the same settings as the environment; set them before any Settings() is read.
    for flag, variable in (("data_dir", "SEMA_DATA_DIR"), ("database_url", "SEMA_DATABASE_URL")):
        value = getattr(args, flag, None)
        if value:
            os.environ[variable] = str(value)
    if getattr(args, "missing", False):
        print(f"sema {args.command}: not available in this build", file=sys.stderr)
        return 2
    module = importlib.import_module(args.module)
    try:
        return int(module.run(args) or 0)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        # Settings() read a bad SEMA_* variable: name it rather than print a traceback.
        for problem in error.errors():
            variable = "SEMA_" + "_".join(str(part) for part in problem["loc"]).upper()
            print(f"sema {args.command}: configuration: {variable}: {problem['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
