"""Exceptional access under the Exceptional Access Policy.

A grant is requested with a reason, then granted (until a time) or refused by
a service administrator; a granted one can be revoked early, expires, or — for
a user reset — is used once. Mailbox access lives on the ``Mailbox``, user
reset on the ``User``; both share this base.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import AlreadySo, ApproverIsRequester, GrantAlreadyRequested, GrantExists, GrantInAnotherState, GrantNotFound, GrantNotInForce, GrantStillRunning, InvalidValue


class GrantState:
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class Grant:
    """One request and what became of it."""

    grant_id: UUID
    kind: str
    reason: str
    requested_by: str
    requested_at: datetime
    state: str = GrantState.REQUESTED
    decided_by: str | None = None
    decided_at: datetime | None = None
    refusal_reason: str | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None

    def in_force(self, at: datetime) -> bool:
        return self.state == GrantState.GRANTED and self.expires_at is not None and at < self.expires_at


class GrantingAggregate(SemaAggregate):
    grant_kind: ClassVar[str] = ""

    def __init__(self) -> None:
        self.grants: dict[UUID, Grant] = {}

    def _update_grant(self, grant_id: UUID, **changes: object) -> None:
        self.grants[grant_id] = replace(self.grants[grant_id], **changes)  # type: ignore[arg-type]

    class ExceptionalAccessRequested(SemaAggregate.Event):
        grant_id: UUID
        kind: str
        reason: str

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate.grants[self.grant_id] = Grant(self.grant_id, self.kind, self.reason, self.actor_id, self.timestamp)

    class ExceptionalAccessGranted(SemaAggregate.Event):
        grant_id: UUID
        expires_at: datetime

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate._update_grant(self.grant_id, state=GrantState.GRANTED, decided_by=self.actor_id, decided_at=self.timestamp, expires_at=self.expires_at)

    class ExceptionalAccessRefused(SemaAggregate.Event):
        grant_id: UUID
        reason: str

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate._update_grant(self.grant_id, state=GrantState.REFUSED, decided_by=self.actor_id, decided_at=self.timestamp, refusal_reason=self.reason)

    class ExceptionalAccessRevoked(SemaAggregate.Event):
        grant_id: UUID

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate._update_grant(self.grant_id, state=GrantState.REVOKED, ended_at=self.timestamp)

    class ExceptionalAccessExpired(SemaAggregate.Event):
        grant_id: UUID

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate._update_grant(self.grant_id, state=GrantState.EXPIRED, ended_at=self.timestamp)

    def grant(self, grant_id: UUID) -> Grant:
        try:
            return self.grants[grant_id]
        except KeyError:
            raise GrantNotFound(grant_id) from None

    def request_exceptional_access(self, grant_id: UUID, reason: str, by: Actor, at: datetime) -> None:
        reason = reason.strip()
        if not reason:
            raise InvalidValue("reason", "a reason is required for exceptional access")
        if grant_id in self.grants:
            raise GrantExists(grant_id=grant_id)
        # The same request sent again (a second click, a retried call) would put a duplicate before the approvers.
        waiting = next((g for g in self.grants.values() if g.state == GrantState.REQUESTED and g.requested_by == by.id), None)
        if waiting is not None:
            raise GrantAlreadyRequested(grant_id=waiting.grant_id)
        self._record(self.ExceptionalAccessRequested, by, at, grant_id=grant_id, kind=self.grant_kind, reason=reason)

    def grant_exceptional_access(self, grant_id: UUID, expires_at: datetime, by: Actor, at: datetime) -> None:
        """Four eyes: never by the one who asked."""
        grant = self._require_state(grant_id, GrantState.REQUESTED, "granted")
        if grant.requested_by == by.id:
            raise ApproverIsRequester(grant_id=grant_id)
        if expires_at <= at:
            raise InvalidValue("expires_at", "a grant must end in the future")
        self._record(self.ExceptionalAccessGranted, by, at, grant_id=grant_id, expires_at=expires_at)

    def refuse_exceptional_access(self, grant_id: UUID, reason: str, by: Actor, at: datetime) -> None:
        self._require_state(grant_id, GrantState.REQUESTED, "refused")
        self._record(self.ExceptionalAccessRefused, by, at, grant_id=grant_id, reason=reason.strip())

    def revoke_exceptional_access(self, grant_id: UUID, by: Actor, at: datetime) -> None:
        self._require_state(grant_id, GrantState.GRANTED, "revoked")
        self._record(self.ExceptionalAccessRevoked, by, at, grant_id=grant_id)

    def expire_exceptional_access(self, grant_id: UUID, by: Actor, at: datetime) -> None:
        grant = self._require_state(grant_id, GrantState.GRANTED, "expired")
        assert grant.expires_at is not None  # set when granted
        if at < grant.expires_at:
            raise GrantStillRunning(grant_id=grant_id, until=grant.expires_at)
        self._record(self.ExceptionalAccessExpired, by, at, grant_id=grant_id)

    def active_grant(self, grant_id: UUID, at: datetime) -> Grant:
        grant = self.grant(grant_id)
        if not grant.in_force(at):
            raise GrantNotInForce(grant_id=grant_id)
        return grant

    def _require_state(self, grant_id: UUID, state: str, verb: str) -> Grant:
        grant = self.grant(grant_id)
        if grant.state != state:
            if grant.state == verb:
                raise AlreadySo(f"exceptional-access request {grant_id} is already {verb}")
            raise GrantInAnotherState(grant_id=grant_id, state=grant.state, verb=verb)
        return grant
