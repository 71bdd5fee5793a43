"""Uniqueness claims for a command: which values are held, the lowest free
numbered value, claiming and releasing (ADR 4).

A claim is an aggregate keyed by a ``uuid5`` of the value, saved with its
owner: the event store's conflict on that id is what makes a value unique
under concurrency. Looking up which values are free is only a plan; a value
taken by a concurrent command between the plan and the save makes the save
fail, and the command runs again on fresh state.

Whether values are held is read from the claims' event topics in one query,
without replaying them; the lowest free numbered values of names are found in
one query of a side table of claimed numbers kept in step with the claims
(ADR 44), rather than by probing the claims (ADR 30, still the way for names
that end in digits).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from sqlalchemy import Select, bindparam, select

from domain.actors import Actor
from domain.claims import Claim, ClaimKind
from domain.errors import DomainError
from domain.naming import with_number
from sema.services.claimed_numbers import ClaimedNumbers, Gap, first_free, numbered_stem
from sema.services.numbering import choose_locked, lock_key, take_turn

RELEASED = get_topic(Claim.Released)
FIRST_WINDOW = 2  # numbers probed per name in the first query; most names are free or nearly so
POWERS = [2**k for k in range(3, 14)]  # sparse probes beyond: up to the 9999 the local part leaves room for
PROBE_CHUNK = 2000  # ids per IN list, well under SQLite's bound on parameters


class Claims:
    def __init__(self, recorder: Any, repository: Repository, numbers: ClaimedNumbers) -> None:
        self.recorder = recorder
        self.repository = repository
        self.numbers = numbers

    @functools.cached_property
    def _statements(self) -> tuple[Select[Any], Select[Any]]:
        """The queries of :meth:`existing` and :meth:`held`, made once (with a list of ids bound at each run)."""
        c = self.recorder.events_record_cls.__table__.c
        ids = c.originator_id.in_(bindparam("ids", expanding=True))
        return select(c.originator_id).where(ids, c.originator_version == 1), select(c.originator_id, c.originator_version, c.topic).where(ids)

    def existing(self, kind: ClaimKind, values: Iterable[str]) -> dict[str, Claim]:
        """The claims that exist (held or released) among ``values``, in one query."""
        ids = {kind.id_for(v): v.strip().lower() for v in values}
        if not ids:
            return {}
        with self.recorder.transaction(commit=False) as session:
            found = set(session.connection().execute(self._statements[0], {"ids": list(ids)}).scalars())
        return {ids[i]: self.repository.get(i) for i in found}

    def held(self, kind: ClaimKind, values: Iterable[str]) -> set[str]:
        """The values someone holds: a claim is held unless its latest event is a release."""
        ids = {kind.id_for(v): v.strip().lower() for v in values}
        latest: dict[UUID, tuple[int, str]] = {}
        with self.recorder.transaction(commit=False) as session:
            chunk = list(ids)
            for start in range(0, len(chunk), PROBE_CHUNK):
                rows = session.connection().execute(self._statements[1], {"ids": chunk[start : start + PROBE_CHUNK]})
                for originator_id, version, topic in rows:
                    if originator_id not in latest or latest[originator_id][0] < version:
                        latest[originator_id] = (version, topic)
        return {ids[i] for i, (_, topic) in latest.items() if topic != RELEASED}

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
        """For each base, the lowest-numbered rendering not held in the store nor
        ``reserved``; rows of the same base get increasing numbers in row order.

        The free numbers of every base come from the side table of claimed
        numbers in one query (ADR 44); a base that table cannot answer for (one
        ending in digits) is probed from the claims (:meth:`_probe`). On
        PostgreSQL, values other commands are numbering are skipped
        (``sema.services.numbering``, ADR 45)."""
        chosen: list[str] = [""] * len(bases)
        waiting: dict[str, list[int]] = {}
        for i, base in enumerate(bases):
            waiting.setdefault(base, []).append(i)
        stems = {stem: base for base in waiting if (stem := numbered_stem(base, render)) is not None}
        with self.recorder.transaction(commit=False) as session:
            lock_values = take_turn(session, len(bases), all_numbered=len(stems) == len(waiting))
            if stems:
                connection = session.connection()

                gaps: dict[str, list[Gap]] = {}

                def candidates(skipped: set[str], fresh: bool = True) -> dict[str, list[str]]:
                    if fresh:
                        gaps.update(self.numbers.gaps(connection, kind.namespace, list(stems)))
                    return {stem: first_free(base, gaps[stem], len(waiting[base]), render, reserved | skipped) for stem, base in stems.items()}

                def taken(values: list[str]) -> set[str]:
                    ids = {kind.id_for(v): v for v in values}
                    return {ids[i] for i in self.numbers.taken(connection, list(ids))}

                picked = choose_locked(connection, candidates, lambda v: lock_key(kind.id_for(v)), taken) if lock_values else candidates(set())
                for stem, values in picked.items():
                    for row, value in zip(waiting.pop(stems[stem]), values):
                        chosen[row] = value
                        reserved.add(value)
        if waiting:
            self._probe(kind, waiting, render, reserved, chosen)
        return chosen

    def _probe(self, kind: ClaimKind, waiting: dict[str, list[int]], render: Callable[[str], str], reserved: set[str], chosen: list[str]) -> None:
        """The lowest free numbers of ``waiting`` (base: its rows), probed from the
        claims (ADR 30): the first round probes the first numbers of each base;
        later rounds, the numbers not yet checked up to a bound and a few powers
        of two beyond it; the first free power sets the next bound, so a name
        taken 400 times costs three queries, not 400."""
        checked = dict.fromkeys(waiting, 0)
        bound = {base: max(FIRST_WINDOW, len(rows)) for base, rows in waiting.items()}
        first_round = True
        while waiting:
            # Powers beyond only once a name proved taken: most names are free at once.
            powers = {base: [] if first_round else [p for p in POWERS if p > bound[base]] for base in waiting}
            first_round = False
            probes = {
                base: {n: render(with_number(base, n)) for n in (*range(checked[base] + 1, bound[base] + 1), *powers[base])} for base in waiting
            }
            held = self.held(kind, [v for values in probes.values() for v in values.values()])
            for base, rows in waiting.items():
                for n in range(checked[base] + 1, bound[base] + 1):
                    value = probes[base][n]
                    if rows and value not in held and value not in reserved:
                        chosen[rows.pop(0)] = value
                        reserved.add(value)
                checked[base] = bound[base]
                free_power = next((p for p in powers[base] if probes[base][p] not in held), None)
                bound[base] = (free_power if free_power else bound[base] * 4) + len(rows)
            waiting = {base: rows for base, rows in waiting.items() if rows}

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
