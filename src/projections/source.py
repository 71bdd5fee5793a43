"""What the read models need from the application: its notification log, read
in order and decoded. Typed as protocols, so the read side depends on no
application class (the application satisfies them as it is)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, StoredEvent, Subscription
from eventsourcing.utils import resolve_topic
from sqlalchemy import Engine


class NotificationLog(Protocol):
    """The application recorder, as far as the read side uses it."""

    events_table_name: str

    def max_notification_id(self) -> int | None: ...

    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None, topics: Sequence[str] = (), *, inclusive_of_start: bool = True
    ) -> list[Notification]: ...

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[Any]: ...


class EventDecoder(Protocol):
    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]: ...


class EventStore(Protocol):
    """An application: its recorder, its mapper, and the engine its tables live in."""

    @property
    def recorder(self) -> NotificationLog: ...

    @property
    def mapper(self) -> EventDecoder: ...

    @property
    def engine(self) -> Engine: ...


class Position:
    """An event with its place in the application sequence, and the stored
    record it was read from (topic and serialised state, as in the event table).

    Read from the store, the event is decoded when first asked for: its class
    comes from the record's topic, and a read model looks at the class before
    it asks for the event, so records no handler takes are never decoded (a
    rebuild reads every record; a third are claims, which no read model takes)."""

    __slots__ = ("notification_id", "notification", "event_class", "_event", "_decode")

    def __init__(self, notification_id: int, event: DomainEventProtocol[Any] | None, notification: Notification, event_class: type | None = None, decode: EventDecoder | None = None) -> None:
        self.notification_id = notification_id
        self.notification = notification
        self.event_class: type = type(event) if event_class is None else event_class
        self._event = event
        self._decode = decode

    @property
    def event(self) -> DomainEventProtocol[Any]:
        if self._event is None:
            assert self._decode is not None
            self._event = self._decode.to_domain_event(self.notification)
        return self._event


class EventSource:
    """Reads the application sequence in order, in batches, decoded as each event is asked for."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def max_id(self) -> int:
        return self.store.recorder.max_notification_id() or 0

    def batches(self, after: int, batch_size: int = 2000, stop: int | None = None) -> Iterator[list[Position]]:
        mapper = self.store.mapper
        while True:
            notifications = self.store.recorder.select_notifications(start=after, limit=batch_size, stop=stop, inclusive_of_start=False)
            if not notifications:
                return
            yield [Position(n.id, None, n, resolve_topic(n.topic), mapper) for n in notifications]
            after = notifications[-1].id
            if len(notifications) < batch_size:
                return
