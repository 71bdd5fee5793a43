"""Exceptional access under the Exceptional Access Policy.

A grant is requested with a reason, then granted (until a time) or refused by
a service administrator; a granted one can be revoked early, expires, or — for
a user reset — is used once. Mailbox access lives on the ``Mailbox``, user
reset on the ``User``; both share this base.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import AlreadySo, GrantNotFound, InvalidValue, RuleViolated


class GrantState:
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED = "used"


class GrantingAggregate(SemaAggregate):
    grant_kind: ClassVar[str] = ""

    def __init__(self) -> None:
        self.grants: dict[str, dict[str, Any]] = {}

    class ExceptionalAccessRequested(SemaAggregate.Event):
        grant_id: UUID
        kind: str
        reason: str

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate.grants[str(self.grant_id)] = {
                "grant_id": str(self.grant_id),
                "kind": self.kind,
                "reason": self.reason,
                "state": GrantState.REQUESTED,
                "requested_by": self.actor_id,
                "requested_at": self.timestamp,
                "decided_by": None,
                "decided_at": None,
                "expires_at": None,
                "ended_at": None,
            }

    class ExceptionalAccessGranted(SemaAggregate.Event):
        grant_id: UUID
        expires_at: datetime

        def apply(self, aggregate: GrantingAggregate) -> None:
            grant = aggregate.grants[str(self.grant_id)]
            grant.update(state=GrantState.GRANTED, decided_by=self.actor_id, decided_at=self.timestamp, expires_at=self.expires_at)

    class ExceptionalAccessRefused(SemaAggregate.Event):
        grant_id: UUID
        reason: str

        def apply(self, aggregate: GrantingAggregate) -> None:
            grant = aggregate.grants[str(self.grant_id)]
            grant.update(state=GrantState.REFUSED, decided_by=self.actor_id, decided_at=self.timestamp, refusal_reason=self.reason)

    class ExceptionalAccessRevoked(SemaAggregate.Event):
        grant_id: UUID

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate.grants[str(self.grant_id)].update(state=GrantState.REVOKED, ended_at=self.timestamp)

    class ExceptionalAccessExpired(SemaAggregate.Event):
        grant_id: UUID

        def apply(self, aggregate: GrantingAggregate) -> None:
            aggregate.grants[str(self.grant_id)].update(state=GrantState.EXPIRED, ended_at=self.timestamp)

    def grant(self, grant_id: UUID) -> dict[str, Any]:
        try:
            return self.grants[str(grant_id)]
        except KeyError:
            raise GrantNotFound(grant_id) from None

    def request_exceptional_access(self, grant_id: UUID, reason: str, by: Actor, at: datetime) -> None:
        reason = reason.strip()
        if not reason:
            raise InvalidValue("reason", "a reason is required for exceptional access")
        if str(grant_id) in self.grants:
            raise RuleViolated(f"exceptional-access request {grant_id} already exists")
        self._record(self.ExceptionalAccessRequested, by, at, grant_id=grant_id, kind=self.grant_kind, reason=reason)

    def grant_exceptional_access(self, grant_id: UUID, expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_state(grant_id, GrantState.REQUESTED, "granted")
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
        if at < grant["expires_at"]:
            raise RuleViolated(f"exceptional access {grant_id} runs until {grant['expires_at'].isoformat()}")
        self._record(self.ExceptionalAccessExpired, by, at, grant_id=grant_id)

    def active_grant(self, grant_id: UUID, at: datetime) -> dict[str, Any]:
        grant = self.grant(grant_id)
        if grant["state"] != GrantState.GRANTED or at >= grant["expires_at"]:
            raise RuleViolated(f"exceptional access {grant_id} is not in force", grant_id=str(grant_id))
        return grant

    def _require_state(self, grant_id: UUID, state: str, verb: str) -> dict[str, Any]:
        grant = self.grant(grant_id)
        if grant["state"] != state:
            if grant["state"] == verb:
                raise AlreadySo(f"exceptional-access request {grant_id} is already {verb}")
            raise RuleViolated(
                f"exceptional-access request {grant_id} is {grant['state']} and cannot be {verb}",
                grant_id=str(grant_id),
            )
        return grant
