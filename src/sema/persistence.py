"""The event store's persistence: eventsourcing-sqlalchemy, with events inserted
in one multi-row statement rather than through an ORM object per event.

The library's recorder adds a mapped row object per stored event and flushes
the session; for a bulk add of 500 users (about 2,500 events) building and
flushing those objects was most of the save (issue 12's profile). The same
rows go in through a Core ``INSERT … RETURNING id`` (SQLAlchemy's
"insertmanyvalues"), ids returned in the order of the events, in the same
transaction, with the same table lock on PostgreSQL and the same unique-key
conflict when another writer got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import insert
from sqlalchemy.orm import Session


class ApplicationRecorder(SQLAlchemyApplicationRecorder):
    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        table = self.events_record_cls.__table__
        rows = [{"originator_id": e.originator_id, "originator_version": e.originator_version, "topic": e.topic, "state": e.state} for e in stored_events]
        if self._has_autoincrementing_ids:
            self._lock_table(session)
        ids = list(session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
        self._notify_channel(session)
        return ids


class Factory(SQLAlchemyFactory):
    application_recorder_class = ApplicationRecorder
