"""One audit record per stored event: stable field names a person can read."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from pydantic import BaseModel, ConfigDict, Field

# The envelope every event carries; everything else is the event's data.
ENVELOPE = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp", "actor_id", "actor_role", "request_id"})

# The export's columns, in order (CSV header, JSON key order).
FIELDS = ("position", "time", "aggregate_type", "aggregate_id", "aggregate_version", "event_type", "actor_id", "actor_role", "request_id", "data")


def to_jsonable(value: Any) -> Any:
    """UUIDs as strings, times as ISO 8601, sets sorted: JSON that reads the same every time."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def iso(moment: datetime) -> str:
    """UTC, ISO 8601, microseconds only when there are some."""
    return moment.astimezone(timezone.utc).isoformat()


def split_topic(event: DomainEventProtocol[Any]) -> tuple[str, str]:
    """``User.Suspended`` → (``User``, ``Suspended``)."""
    aggregate_type, _, event_type = type(event).__qualname__.partition(".")
    return aggregate_type, event_type or aggregate_type


def event_data(event: DomainEventProtocol[Any]) -> dict[str, Any]:
    return {k: to_jsonable(v) for k, v in sorted(vars(event).items()) if k not in ENVELOPE}


class AuditRecord(BaseModel):
    # What the export writes and GET /audit/events returns, one per event (no
    # docstring: it would become the API schema's description).
    model_config = ConfigDict(frozen=True)

    position: int = Field(description="the event's place in the whole history (notification id)")
    time: str
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    event_type: str
    actor_id: str | None
    actor_role: str | None
    request_id: str | None
    data: dict[str, Any] = Field(description="the event's own fields, without the envelope above")

    @classmethod
    def of(cls, position: int, event: DomainEventProtocol[Any]) -> AuditRecord:
        aggregate_type, event_type = split_topic(event)
        return cls(
            position=position,
            time=iso(event.timestamp),
            aggregate_type=aggregate_type,
            aggregate_id=str(event.originator_id),
            aggregate_version=event.originator_version,
            event_type=event_type,
            actor_id=getattr(event, "actor_id", None),
            actor_role=getattr(event, "actor_role", None),
            request_id=getattr(event, "request_id", None),
            data=event_data(event),
        )

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}
