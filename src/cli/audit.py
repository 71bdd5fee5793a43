"""``sema audit …``: the auditors' commands. All read only.

Times are ISO 8601 (``2026-03-01T10:02:00+00:00``, ``2026-03-01T10:02Z``); a
time without a zone is UTC, and a date alone is its midnight UTC."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO
from uuid import UUID

from cli.progress import progress
from domain.actors import system_actor
from sema.application import SemaApplication
from sema.audit.check import check_read_models
from sema.audit.export import FORMATS, audit_records, write_records
from sema.audit.replay import KINDS, AuditLookupError, history, read_subject, state_as_of
from sema.audit.verify import Digest, Verifier
from sema.bootstrap import build_application
from sema.clock import SystemClock, as_utc
from sema.config import Settings


class UsageError(Exception):
    """Bad input: the message names the field."""


def parse_time(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{field}: not an ISO 8601 time: {text!r} (e.g. 2026-03-01T10:02:00Z)") from None
    try:
        return as_utc(moment)
    except ValueError as error:
        raise UsageError(f"{field}: {error}") from None


def parse_id(text: str, field: str = "id") -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise UsageError(f"{field}: not a UUID: {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="audit_command", required=True)

    export = commands.add_parser("export", parents=[flags], help="the whole event history in order, one record per event")
    export.add_argument("--from", dest="after", type=int, default=0, metavar="ID", help="only events after this position")
    export.add_argument("--since", metavar="TIME", help="only events at or after this time")
    export.add_argument("--until", metavar="TIME", help="only events at or before this time")
    export.add_argument("--format", choices=FORMATS, default="jsonl", help="JSON Lines (default) or CSV with the data as JSON")
    export.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    state = commands.add_parser("state", parents=[flags], help="an aggregate's state as it was at a moment, as JSON")
    state.add_argument("kind", choices=list(KINDS))
    state.add_argument("id")
    state.add_argument("--as-of", required=True, metavar="TIME", help="required: the moment to show, ISO 8601 (2026-03-01T10:02Z; a date alone is its midnight UTC)")

    hist = commands.add_parser("history", parents=[flags], help="an aggregate's events, oldest first, with who did them")
    hist.add_argument("kind", choices=list(KINDS))
    hist.add_argument("id")
    hist.add_argument("--json", action="store_true", help="one JSON object per line instead of sentences")

    verify = commands.add_parser("verify", parents=[flags], help="recompute the ledger's chain from the event table; exit 1 at the first tampered position")
    verify.add_argument("--digest", metavar="POS:HASH", help="also prove the history up to a digest you kept is unchanged")

    commands.add_parser("digest", parents=[flags], help="the ledger's head (POSITION:SHA256) for an auditor to keep")

    check = commands.add_parser("check-read-models", parents=[flags], help="rebuild read models into scratch tables and compare with the live ones")
    check.add_argument("names", nargs="*", help="read models to check (default: all)")


def run(args: argparse.Namespace) -> int:
    try:
        handler = HANDLERS[args.audit_command]
        with _application() as app:
            return handler(app, args)
    except (UsageError, AuditLookupError, ValueError, KeyError) as error:
        message = error.args[0] if error.args else str(error)
        print(f"sema audit {args.audit_command}: {message}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:  # the --output file
        print(f"sema audit {args.audit_command}: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2


@contextmanager
def _application() -> Iterator[SemaApplication]:
    # Reads only, but an export, a state and a history record themselves (SensitiveRead.Recorded): the event goes into
    # the read models (the ledger among them) as the server's would, or `verify` calls it tampered.
    settings = Settings()
    app = build_application(settings, inline_projections=settings.inline_read_models)
    try:
        yield app
    finally:
        app.close()
        app.engine.dispose()


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        yield out


def _export(app: SemaApplication, args: argparse.Namespace) -> int:
    since = parse_time(args.since, "--since") if args.since else None
    until = parse_time(args.until, "--until") if args.until else None
    if args.after < 0:
        raise UsageError("--from: must be a position >= 0")
    if since and until and since > until:
        raise UsageError("--since: is after --until")
    total = max(0, (app.recorder.max_notification_id() or 0) - args.after)
    with progress(total, "events") as report, _output(args.output) as out:
        count = write_records(audit_records(app, after=args.after, since=since, until=until, progress=report), out, args.format)
    app.record_sensitive_read(system_actor("audit-export"), SystemClock().now(), "audit_history_exported", [f"after:{args.after}"])
    if args.output:
        print(f"exported {count} events to {args.output}", file=sys.stderr)
    return 0


def _state(app: SemaApplication, args: argparse.Namespace) -> int:
    aggregate_id, as_of = parse_id(args.id), parse_time(args.as_of, "--as-of")
    result = state_as_of(app, args.kind, aggregate_id, as_of)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    app.record_sensitive_read(system_actor("audit-state"), SystemClock().now(), "aggregate_state_read", read_subject(args.kind, aggregate_id, as_of))
    return 0


def _history(app: SemaApplication, args: argparse.Namespace) -> int:
    aggregate_id = parse_id(args.id)
    for line in history(app, args.kind, aggregate_id):
        print(json.dumps(line.__dict__, ensure_ascii=False) if args.json else line.sentence)
    app.record_sensitive_read(system_actor("audit-history"), SystemClock().now(), "aggregate_history_read", read_subject(args.kind, aggregate_id))
    return 0


def _verify(app: SemaApplication, args: argparse.Namespace) -> int:
    digest = Digest.parse(args.digest) if args.digest else None
    verifier = Verifier(app)
    with progress(app.recorder.max_notification_id() or 0, "events") as report:
        result = verifier.verify(digest, progress=report)
    if result.discrepancy is not None:
        d = result.discrepancy
        print(f"TAMPERED at position {d.position} ({d.kind}): {d.detail}")
        print(f"the chain is intact up to position {result.head.position}")
        return 1
    print(f"verified: {result.checked} events chained, intact; head {result.head}")
    if digest is not None:
        print(f"the history up to your digest {digest} is unchanged")
    return 0


def _digest(app: SemaApplication, args: argparse.Namespace) -> int:
    print(Verifier(app).digest())
    return 0


def _check(app: SemaApplication, args: argparse.Namespace) -> int:
    assert app.projections is not None  # built by the composition root
    with progress(len(app.projections.by_name(args.names)) * (app.recorder.max_notification_id() or 0), "events") as report:
        reports = check_read_models(app, args.names, progress=report)
    failed = False
    for report in reports:
        for table in report.tables:
            if table.ok:
                print(f"{report.name}: {table.table}: {table.rows} rows, same as rebuilt from the history (position {report.position})")
                continue
            failed = True
            print(f"{report.name}: {table.table}: DIFFERS from the rebuild: {table.missing} missing, {table.unexpected} unexpected, {table.changed} changed")
            for example in table.examples:
                print(f"  {example}")
    return 1 if failed else 0


HANDLERS: dict[str, Callable[[SemaApplication, argparse.Namespace], int]] = {
    "export": _export,
    "state": _state,
    "history": _history,
    "verify": _verify,
    "digest": _digest,
    "check-read-models": _check,
}
