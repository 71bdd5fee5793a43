"""The auditors' read-only endpoints: the event history page by page, an
aggregate's state as at a moment, its history in sentences, the ledger's head.

Auditors and service administrators only (``AUDITORS`` in the routes table);
everyone else gets 403."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from api.context import Context
from api.problems import ApiProblem
from sema.audit import export
from sema.audit.records import AuditRecord
from sema.audit.replay import AuditLookupError, HistoryLine, history, read_subject, state_as_of
from sema.audit.verify import Verifier
from sema.clock import as_utc

MAX_PAGE = 1000


class AuditKind(StrEnum):
    USER = "user"
    ORGANISATION = "organisation"
    MAILBOX = "mailbox"
    LIST = "list"


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is UTC; one UTC cannot represent is refused (a ValueError names the field)."""
    return None if value is None else as_utc(value)


class EventsQuery(BaseModel):
    after: int = Field(0, ge=0, le=2**63 - 1, description="continue after this position (0: from the start)")
    limit: int = Field(500, ge=1, le=MAX_PAGE, description="stored events scanned for this page")
    since: datetime | None = Field(None, description="only events at or after this time (ISO 8601; no zone means UTC)")
    until: datetime | None = Field(None, description="only events at or before this time")

    @field_validator("since", "until")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class StateQuery(BaseModel):
    as_of: datetime = Field(description="the moment (ISO 8601; no zone means UTC)")

    @field_validator("as_of")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return _utc(value) or value


class EventsPage(BaseModel):
    events: list[AuditRecord]
    next_after: int | None = Field(description="pass as ``after`` for the next page; null at the end of the history")


class StateOut(BaseModel):
    kind: AuditKind
    id: UUID
    as_of: str
    version: int
    state: dict[str, Any]


class HistoryOut(BaseModel):
    kind: AuditKind
    id: UUID
    lines: list[HistoryLine]


class DigestOut(BaseModel):
    position: int
    link: str = Field(description="SHA-256 of the chain up to position, hex")
    digest: str = Field(description="POSITION:LINK, as `sema audit verify --digest` takes it")


def audit_events(ctx: Context, query: EventsQuery) -> EventsPage:
    """The event history page by page, in order, one record per event"""
    records, next_after = export.page(ctx.app, after=query.after, limit=query.limit, since=query.since, until=query.until)
    ctx.app.record_sensitive_read(ctx.actor, ctx.now, "audit_history_read", [f"after:{query.after}"])
    return EventsPage(events=records, next_after=next_after)


def audit_state(ctx: Context, kind: AuditKind, aggregate_id: UUID, query: StateQuery) -> StateOut:
    """An aggregate's state as it was at a moment, rebuilt from its events (recorded in the history as a sensitive read)"""
    try:
        state = StateOut(**state_as_of(ctx.app, kind.value, aggregate_id, query.as_of))
    except AuditLookupError as error:
        raise _not_found(error) from None
    ctx.app.record_sensitive_read(ctx.actor, ctx.now, "aggregate_state_read", read_subject(kind.value, aggregate_id, query.as_of))
    return state


def audit_history(ctx: Context, kind: AuditKind, aggregate_id: UUID) -> HistoryOut:
    """An aggregate's events, oldest first, as sentences naming who acted (recorded in the history as a sensitive read)"""
    try:
        lines = history(ctx.app, kind.value, aggregate_id)
    except AuditLookupError as error:
        raise _not_found(error) from None
    ctx.app.record_sensitive_read(ctx.actor, ctx.now, "aggregate_history_read", read_subject(kind.value, aggregate_id))
    return HistoryOut(kind=kind, id=aggregate_id, lines=lines)


def audit_digest(ctx: Context) -> DigestOut:
    """The ledger's head: keep it to prove later that nothing before it changed"""
    digest = Verifier(ctx.app).digest()
    return DigestOut(position=digest.position, link=digest.link, digest=str(digest))


def _not_found(error: AuditLookupError) -> ApiProblem:
    message = str(error)
    field, _, detail = message.partition(": ")
    return ApiProblem(404, "not-found", "Not found", message, errors=[{"field": f"query.{field}" if field == "as_of" else "path.aggregate_id", "message": detail}])
