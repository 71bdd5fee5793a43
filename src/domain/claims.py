"""Uniqueness claims: one aggregate per normalised address, username or organisation code.

The claim's id is a ``uuid5`` of the normalised value, so two writers claiming
the same value create (or advance) the same aggregate and the event store's
optimistic concurrency lets exactly one of them win.
"""

from __future__ import annotations

import functools
from datetime import datetime
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.actors import Actor
from domain.base import From, SemaAggregate, updates
from domain.errors import ClaimHeld, ClaimNotHeldBy


class Claim(SemaAggregate):
    class Claimed(SemaAggregate.Created):
        namespace: str
        value: str
        owner_kind: str
        owner_id: UUID

    class Reclaimed(SemaAggregate.Event):
        owner_kind: str
        owner_id: UUID
        apply = updates(owner_kind=From("owner_kind"), owner_id=From("owner_id"))

    class Released(SemaAggregate.Event):
        apply = updates(owner_kind=None, owner_id=None)

    def __init__(self, *, namespace: str, value: str, owner_kind: str, owner_id: UUID) -> None:
        self.namespace = namespace
        self.value = value
        self.owner_kind: str | None = owner_kind
        self.owner_id: UUID | None = owner_id

    @property
    def is_held(self) -> bool:
        return self.owner_id is not None

    def reclaim(self, owner_kind: str, owner_id: UUID, by: Actor, at: datetime) -> None:
        if self.is_held:
            raise ClaimHeld(value=self.value, owner_kind=self.owner_kind, owner_id=self.owner_id)
        self._record(self.Reclaimed, by, at, owner_kind=owner_kind, owner_id=owner_id)

    def release(self, owner_id: UUID, by: Actor, at: datetime) -> None:
        if self.owner_id != owner_id:
            raise ClaimNotHeldBy(value=self.value, owner_id=owner_id)
        self._record(self.Released, by, at)


@functools.lru_cache(maxsize=1 << 15)
def _claim_id(namespace: str, value: str) -> UUID:
    """Remembered: numbering a name taken hundreds of times probes the same values
    command after command (issue 12's profile: a third of the time in ``uuid5``)."""
    return uuid5(NAMESPACE_URL, f"sema:{namespace}:{value}")


@dataclass(frozen=True)
class ClaimKind:
    """What is claimed: its namespace keeps equal strings of different kinds apart."""

    namespace: str

    def id_for(self, value: str) -> UUID:
        return _claim_id(self.namespace, value.strip().lower())

    def claim_new(self, value: str, owner_kind: str, owner_id: UUID, by: Actor, at: datetime) -> Claim:
        value = value.strip().lower()
        return Claim._new(
            Claim.Claimed, self.id_for(value), by, at, namespace=self.namespace, value=value, owner_kind=owner_kind, owner_id=owner_id
        )


AddressClaim = ClaimKind("address")
UsernameClaim = ClaimKind("username")
OrganisationCodeClaim = ClaimKind("organisation-code")
