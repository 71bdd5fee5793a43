"""A user's snapshot: the state as plain values the event store can encode.

A user's stream grows by an event per log-in, so the application snapshots
users every so many events (``SemaApplication.snapshotting_intervals``). The
state holds values JSON cannot carry as they are — dictionaries keyed by UUID,
frozen dataclasses, tuples — which are written as lists and dicts here and
rebuilt when the snapshot is loaded.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from eventsourcing.domain import Snapshot

from domain.grants import Grant
from domain.user_challenges import OpenChallenge, PassedChallenge


class UserSnapshot(Snapshot):
    @classmethod
    def take(cls, aggregate: Any) -> UserSnapshot:
        snapshot: UserSnapshot = super().take(aggregate)
        state = snapshot.state
        state["grants"] = [asdict(g) for g in aggregate.grants.values()]
        state["address_book"] = [[entry_id, kind] for entry_id, kind in aggregate.address_book.items()]
        challenge = aggregate.challenge
        state["challenge"] = None if challenge is None else {**asdict(challenge), "positions": [list(p) for p in challenge.positions]}
        passed = aggregate.passed_challenge
        state["passed_challenge"] = None if passed is None else asdict(passed)
        return snapshot

    def mutate(self, _: None) -> Any:
        user = super().mutate(None)
        user.grants = {g["grant_id"]: Grant(**g) for g in user.grants}
        user.address_book = {entry_id: kind for entry_id, kind in user.address_book}
        if user.challenge is not None:
            user.challenge = OpenChallenge(**{**user.challenge, "positions": tuple((q, n) for q, n in user.challenge["positions"])})
        if user.passed_challenge is not None:
            user.passed_challenge = PassedChallenge(**user.passed_challenge)
        return user
