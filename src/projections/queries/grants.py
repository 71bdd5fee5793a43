"""Exceptional-access requests and grants, for their owners and administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import and_, select

from projections.queries.common import Reader, View, aware, exceptional_access


class GrantView(View):
    grant_id: UUID
    kind: Literal["mailbox_access", "user_reset"]
    target_id: UUID  # the mailbox, or the user to reset
    owner_id: UUID  # the user whose mailbox or account it is
    organisation_id: UUID
    reason: str
    state: Literal["requested", "granted", "refused", "revoked", "expired", "used"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    refusal_reason: str | None
    expires_at: datetime | None
    ended_at: datetime | None


def grants_on_mailbox(session: Reader, mailbox_id: UUID) -> list[GrantView]:
    return _grant_views(session, exceptional_access.grants.c.target_id == str(mailbox_id))


def grants_for_owner(session: Reader, user_id: UUID) -> list[GrantView]:
    """Every grant on the user's mailbox (what the owner sees) and every reset of their account."""
    return _grant_views(session, exceptional_access.grants.c.owner_id == str(user_id))


def pending_exceptional_access(session: Reader, kind: str | None = None) -> list[GrantView]:
    """Requests waiting for a service administrator's decision, oldest first."""
    condition = exceptional_access.grants.c.state == "requested"
    if kind is not None:
        condition = and_(condition, exceptional_access.grants.c.kind == kind)
    return _grant_views(session, condition)


def exceptional_access_in_force(session: Reader) -> list[GrantView]:
    """Grants approved and not yet ended (revoked, expired or used), oldest first."""
    return _grant_views(session, exceptional_access.grants.c.state == "granted")


def grants_in_organisation(session: Reader, organisation_id: UUID) -> list[GrantView]:
    return _grant_views(session, exceptional_access.grants.c.organisation_id == str(organisation_id))


def grant(session: Reader, grant_id: UUID) -> GrantView | None:
    found = _grant_views(session, exceptional_access.grants.c.grant_id == str(grant_id))
    return found[0] if found else None


def _grant_views(session: Reader, condition: Any) -> list[GrantView]:
    g = exceptional_access.grants.c
    rows = session.execute(select(exceptional_access.grants).where(condition).order_by(g.seq)).mappings()
    return [
        GrantView(
            grant_id=UUID(r["grant_id"]),
            kind=r["kind"],
            target_id=UUID(r["target_id"]),
            owner_id=UUID(r["owner_id"]),
            organisation_id=UUID(r["organisation_id"]),
            reason=r["reason"],
            state=r["state"],
            requested_by=r["requested_by"],
            requested_at=aware(r["requested_at"]),  # type: ignore[arg-type]
            decided_by=r["decided_by"],
            decided_at=aware(r["decided_at"]),
            refusal_reason=r["refusal_reason"],
            expires_at=aware(r["expires_at"]),
            ended_at=aware(r["ended_at"]),
        )
        for r in rows
    ]
