"""A scripted history whose every event, id and moment the tests know (fixtures in conftest)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from uuid import UUID

from domain.actors import Actor, system_actor
from sema.application import SemaApplication


def at(hh_mm: str) -> datetime:
    hours, minutes = hh_mm.split(":")
    return datetime(2026, 3, 1, int(hours), int(minutes), tzinfo=timezone.utc)


REGISTERED, ADDED, APPOINTED, SUSPENDED, RENAMED, UNSUSPENDED = at("09:00"), at("09:30"), at("09:45"), at("10:02"), at("11:00"), at("12:00")
SCRIPT = system_actor("script")


@dataclass(frozen=True)
class Scripted:
    app: SemaApplication
    organisation_id: UUID
    jane_id: UUID
    jane_mailbox_id: UUID
    peter_id: UUID
    peter_mailbox_id: UUID
    jane: Actor


def counting_ids() -> Iterator[UUID]:
    return (UUID(int=n) for n in itertools.count(1))


def grow_history(app: SemaApplication, events: int, moment: datetime) -> int:
    """At least ``events`` events, fast: one organisation, then users added 500 at a time
    (each user brings about four events). Returns the last position."""
    from sema.application import MAX_BULK, NewUser

    organisation_id = app.register_organisation(SCRIPT, moment, name="Bulk Chambers", code="bulk", account_type="mailbox")
    batch = 0
    while (app.recorder.max_notification_id() or 0) < events:
        rows = [NewUser(f"First{batch}x{n}", f"Last{n}") for n in range(MAX_BULK)]
        app.add_users(SCRIPT, moment, organisation_id, rows)
        batch += 1
    return app.recorder.max_notification_id() or 0
