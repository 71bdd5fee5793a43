"""Auditors (and service administrators): an aggregate's history in
sentences, its state as at a chosen moment, ledger verification against a
kept digest, and the whole history as a CSV or JSON Lines download."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from uuid import UUID

from starlette.responses import Response, StreamingResponse

from api.console.pages import Errors, Form, render
from api.context import Context
from sema.audit import export
from sema.audit.replay import KINDS, AuditLookupError, history, read_subject, state_as_of
from sema.audit.verify import Digest, Verifier

KIND_NAMES = {"user": "User", "organisation": "Organisation", "mailbox": "Mailbox", "list": "Distribution list"}
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _target(ctx: Context, errors: Errors) -> tuple[str, UUID | None]:
    """The kind and id asked for; a user may be named by username."""
    params = ctx.request.query_params
    kind, given = params.get("kind", "user"), params.get("id", "").strip()
    if kind not in KINDS:
        errors.add("kind", "Choose what to look at")
        return kind, None
    if not given:
        errors.add("id", "Enter an id (or, for a user, a username)")
        return kind, None
    try:
        return kind, UUID(given)
    except ValueError:
        found = ctx.app.find_user_id(given) if kind == "user" else None
        if found is None:
            errors.add("id", f"There is no {KIND_NAMES[kind].lower()} {given}")
        return kind, found


def home(ctx: Context, form: Form | None) -> Response:
    return render(ctx, "audit.html", title="Audit", kinds=KIND_NAMES, params=ctx.request.query_params, lines=None, state=None, verification=None)


def aggregate_history(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    kind, aggregate_id = _target(ctx, errors)
    lines = None
    if aggregate_id is not None:
        try:
            lines = history(ctx.app, kind, aggregate_id)
        except AuditLookupError as error:
            errors.add("id", str(error).partition(": ")[2] or str(error))
        else:
            ctx.app.record_sensitive_read(ctx.actor, ctx.now, "aggregate_history_read", read_subject(kind, aggregate_id))
    return render(ctx, "audit.html", errors=errors, title="History", kinds=KIND_NAMES, params=ctx.request.query_params, lines=lines, state=None, verification=None)


def state(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    kind, aggregate_id = _target(ctx, errors)
    found = None
    try:
        as_of = datetime.fromisoformat(ctx.request.query_params.get("as_of", ""))
        as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=timezone.utc)
    except ValueError:
        errors.add("as_of", "Enter the moment as a date and time")
        as_of = None
    if aggregate_id is not None and as_of is not None:
        try:
            found = state_as_of(ctx.app, kind, aggregate_id, as_of)
        except AuditLookupError as error:
            errors.add("as_of" if str(error).startswith("as_of") else "id", str(error).partition(": ")[2] or str(error))
        else:
            ctx.app.record_sensitive_read(ctx.actor, ctx.now, "aggregate_state_read", read_subject(kind, aggregate_id, as_of))
    return render(ctx, "audit.html", errors=errors, title="State as at", kinds=KIND_NAMES, params=ctx.request.query_params, lines=None, state=found, verification=None)


def verify(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    given = ctx.request.query_params.get("digest", "").strip()
    digest = None
    if given:
        try:
            digest = Digest.parse(given)
        except ValueError:
            errors.add("digest", "Enter the digest as POSITION:HASH, as the ledger's head was shown")
    verification = Verifier(ctx.app).verify(digest) if not errors else None
    return render(ctx, "audit.html", errors=errors, title="Verification", kinds=KIND_NAMES, params=ctx.request.query_params, lines=None, state=None, verification=verification, digest=digest)


def download(ctx: Context, form: Form | None) -> Response:
    """The whole history as a file: written to a spool (on disk past 8 MB), then streamed."""
    fmt = ctx.request.query_params.get("format", "csv")
    fmt = fmt if fmt in export.FORMATS else "csv"
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8", newline="")
    export.write_records(export.audit_records(ctx.app), spool, fmt)
    ctx.app.record_sensitive_read(ctx.actor, ctx.now, "audit_history_exported", ["after:0"])
    spool.seek(0)

    def chunks() -> Iterator[str]:
        with spool:
            while chunk := spool.read(64 * 1024):
                yield chunk

    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return StreamingResponse(chunks(), media_type=media, headers={"Content-Disposition": f'attachment; filename="sema-audit.{fmt}"'})
