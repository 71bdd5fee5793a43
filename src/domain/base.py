"""The aggregate base: every event records who acted, when, and in which request."""

from __future__ import annotations

from datetime import datetime, timedelta
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from dateutil.relativedelta import relativedelta
from eventsourcing.domain import Aggregate

from domain.actors import Actor

# Fixed by the product; the configurable lifetimes and limits are in sema.config.Settings.
UNDELETE_PERIOD = timedelta(days=30)
INACTIVITY_PERIOD = relativedelta(months=6)

T = TypeVar("T", bound="SemaAggregate")


class From:
    """In :func:`updates`: the value of the event's own field of this name."""

    def __init__(self, field: str) -> None:
        self.field = field


def updates(**values: Any) -> Callable[[Any, Any], None]:
    """An event's ``apply`` that only sets attributes of the aggregate, each to
    a constant or to one of the event's fields, ``From("name")``::

        class Suspended(SemaAggregate.Event):
            message: str | None
            apply = updates(suspended=True, suspension_message=From("message"))
    """

    def apply(event: Any, aggregate: Any) -> None:
        for attribute, value in values.items():
            setattr(aggregate, attribute, getattr(event, value.field) if isinstance(value, From) else value)

    return apply


def joins(collection: str, member: str) -> Callable[[Any, Any], None]:
    """An event's ``apply`` that adds the id in its field ``member`` to the aggregate's list ``collection``."""

    def apply(event: Any, aggregate: Any) -> None:
        getattr(aggregate, collection).append(str(getattr(event, member)))

    return apply


def leaves(collection: str, member: str) -> Callable[[Any, Any], None]:
    """An event's ``apply`` that removes the id in its field ``member`` from the aggregate's list ``collection``."""

    def apply(event: Any, aggregate: Any) -> None:
        getattr(aggregate, collection).remove(str(getattr(event, member)))

    return apply


def check_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return at


class SemaAggregate(Aggregate):
    class Event(Aggregate.Event):
        actor_id: str
        actor_role: str
        request_id: str | None

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _new(cls: type[T], event_class: type[Any], id: UUID, by: Actor, at: datetime, **fields: Any) -> T:
        return cls._create(
            event_class,
            id=id,
            timestamp=check_aware(at),
            actor_id=by.id,
            actor_role=str(by.role),
            request_id=by.request_id,
            **fields,
        )

    def _record(self, event_class: type[Any], by: Actor, at: datetime, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            timestamp=check_aware(at),
            actor_id=by.id,
            actor_role=str(by.role),
            request_id=by.request_id,
            **fields,
        )
