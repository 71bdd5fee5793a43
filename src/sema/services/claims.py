"""Uniqueness claims for a command: which values are held, the lowest free
numbered value, claiming and releasing (ADR 4).

A claim is an aggregate keyed by a ``uuid5`` of the value, saved with its
owner: the event store's conflict on that id is what makes a value unique
under concurrency. Looking up which values are free is only a plan; a value
taken by a concurrent command between the plan and the save makes the save
fail, and the command runs again on fresh state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import IntegrityError
from sqlalchemy import select

from domain.actors import Actor
from domain.claims import Claim, ClaimKind
from domain.errors import DomainError
from domain.naming import numbered


class Claims:
    def __init__(self, recorder: Any, repository: Repository) -> None:
        self.recorder = recorder
        self.repository = repository

    def existing(self, kind: ClaimKind, values: Iterable[str]) -> dict[str, Claim]:
        """The claims that exist (held or released) among ``values``, in one query."""
        ids = {kind.id_for(v): v.strip().lower() for v in values}
        if not ids:
            return {}
        record = self.recorder.events_record_cls
        with self.recorder.transaction(commit=False) as session:
            found = set(
                session.execute(
                    select(record.originator_id).where(record.originator_id.in_(list(ids)), record.originator_version == 1)
                ).scalars()
            )
        return {ids[i]: self.repository.get(i) for i in found}

    def held(self, kind: ClaimKind, values: Iterable[str]) -> set[str]:
        return {value for value, claim in self.existing(kind, values).items() if claim.is_held}

    def owner(self, kind: ClaimKind, value: str) -> UUID | None:
        claim = self.existing(kind, [value]).get(value.strip().lower())
        return claim.owner_id if claim is not None and claim.is_held else None

    def claim(self, kind: ClaimKind, value: str, owner_kind: str, owner_id: UUID, by: Actor, at: datetime, existing: dict[str, Claim]) -> Claim:
        """Claims a value planned as free (``existing``: what :meth:`existing` found)."""
        value = value.strip().lower()
        claim = existing.get(value)
        if claim is None:
            return kind.claim_new(value, owner_kind, owner_id, by, at)
        if claim.is_held:
            # Free when planned, taken by a concurrent command since: re-plan on fresh state.
            raise IntegrityError(f"{value} was claimed concurrently")
        claim.reclaim(owner_kind, owner_id, by, at)
        return claim

    def claim_one(self, kind: ClaimKind, value: str, owner_kind: str, owner_id: UUID, by: Actor, at: datetime, taken: Callable[[str], DomainError]) -> Claim:
        """Claims a value the caller chose; ``taken(value)`` is raised if someone holds it."""
        existing = self.existing(kind, [value])
        claim = existing.get(value.strip().lower())
        if claim is not None and claim.is_held:
            raise taken(value)
        return self.claim(kind, value, owner_kind, owner_id, by, at, existing)

    def lowest_free(self, kind: ClaimKind, bases: Sequence[str], render: Callable[[str], str], reserved: set[str]) -> list[str]:
        """For each base, the lowest-numbered rendering not held in the store nor ``reserved``."""
        chosen: list[str | None] = [None] * len(bases)
        candidates = [numbered(b) for b in bases]
        pending = {i: render(next(candidates[i])) for i in range(len(bases))}
        while pending:
            free = {v for v in pending.values()} - self.held(kind, pending.values())
            retry = {}
            for i, value in pending.items():
                if value in free and value not in reserved:
                    chosen[i] = value
                    reserved.add(value)
                else:
                    retry[i] = render(next(candidates[i]))
            pending = retry
        return [c for c in chosen if c is not None]

    def release(self, kind: ClaimKind, value: str, owner_id: UUID, by: Actor, at: datetime) -> Claim | None:
        """The claim released, if ``owner_id`` holds it (else ``None``: nothing to save)."""
        try:
            claim: Claim = self.repository.get(kind.id_for(value))
        except AggregateNotFoundError:
            return None
        if claim.owner_id != owner_id:
            return None
        claim.release(owner_id, by, at)
        return claim
