"""Specifications of the aggregates without a store: given these events, when
this command, then these events (by type and fields) or this error.

``given`` builds an aggregate by applying events, exactly as the store's
replay does; ``then`` takes the events the command recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.utils import get_topic

from domain.actors import Actor, Role
from domain.base import SemaAggregate
from domain.errors import DomainError

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ORG = UUID("00000000-0000-0000-0000-00000000000a")
OTHER_ORG = UUID("00000000-0000-0000-0000-00000000000b")
ADMIN = Actor(id="10000000-0000-0000-0000-000000000001", role=Role.ORGANISATION_ADMINISTRATOR, organisation_id=ORG)
OTHER_ADMIN = Actor(id="10000000-0000-0000-0000-000000000002", role=Role.ORGANISATION_ADMINISTRATOR, organisation_id=ORG)
SERVICE_ADMIN = Actor(id="20000000-0000-0000-0000-000000000001", role=Role.SERVICE_ADMINISTRATOR)
SYSTEM = Actor(id="system:test", role=Role.SYSTEM)
ENVELOPE = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor_id", "actor_role", "request_id"}

A = TypeVar("A", bound=SemaAggregate)


def days(n: float) -> timedelta:
    return timedelta(days=n)


class Given:
    """A history for one aggregate: ``event(...)`` for each step, then ``aggregate()``."""

    def __init__(self, aggregate_class: type[A], aggregate_id: UUID | None = None) -> None:
        self.aggregate_class = aggregate_class
        self.id = aggregate_id or uuid4()
        self.events: list[Any] = []

    def event(self, event_type: str, /, at: datetime = T0, by: Actor = ADMIN, **fields: Any) -> Given:
        event_class = getattr(self.aggregate_class, event_type)
        envelope: dict[str, Any] = {
            "originator_id": self.id,
            "originator_version": len(self.events) + 1,
            "timestamp": at,
            "actor_id": by.id,
            "actor_role": str(by.role),
            "request_id": None,
        }
        if not self.events:
            envelope["originator_topic"] = get_topic(self.aggregate_class)
        self.events.append(event_class(**envelope, **fields))
        return self

    def aggregate(self) -> Any:
        aggregate = None
        for event in self.events:
            aggregate = event.mutate(aggregate)
        return aggregate


def then(aggregate: SemaAggregate) -> list[tuple[str, dict[str, Any]]]:
    """The events the command recorded: (type name, fields without the envelope)."""
    return [(type(e).__name__, {k: v for k, v in vars(e).items() if k not in ENVELOPE}) for e in aggregate.collect_events()]


def then_types(aggregate: SemaAggregate) -> list[str]:
    return [name for name, _ in then(aggregate)]


def attempted(aggregate: SemaAggregate, events: list[Any], change: Callable[[], object], expected: type[DomainError] | None) -> bool:
    """For state machines: runs ``change`` on ``aggregate``, which must raise ``expected``
    (a model's prediction) or succeed when it is ``None``; the events it recorded
    are added to ``events``. Whether it succeeded."""
    try:
        change()
    except DomainError as error:
        assert expected is not None and isinstance(error, expected), (type(error).__name__, expected)
        return False
    finally:
        events += aggregate.collect_events()
    assert expected is None, f"expected {expected.__name__}"
    return True


def rebuilt(events: list[Any]) -> Any:
    """The aggregate as the store would replay it from ``events``."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate
