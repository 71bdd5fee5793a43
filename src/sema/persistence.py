"""The event store's persistence: eventsourcing-sqlalchemy, with events inserted
in one multi-row statement and read by prepared Core statements, rather than
through an ORM object per event and an ORM query per read.

The library's recorder adds a mapped row object per stored event and flushes
the session; for a bulk add of 500 users (about 2,500 events) building and
flushing those objects was most of the save (issue 12's profile). The same
rows go in through a Core ``INSERT … RETURNING`` (SQLAlchemy's
"insertmanyvalues": a statement per thousand rows), each id matched to its
event by the returned (originator id, version), in the same transaction,
with the same table lock on PostgreSQL and the same unique-key conflict
when another writer got there first.

Loading an aggregate reads its snapshot and its events: the library builds
an ORM query for each, which was most of a load's time in a one-user command
(``benchmarks/bench_http.py``). The same selects are built once per shape
with bound parameters (so SQLAlchemy's compiled cache is hit without
rebuilding the statement) and run on the transaction's connection.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyAggregateRecorder, SQLAlchemyApplicationRecorder
from sqlalchemy import Insert, Select, TextClause, bindparam, func, insert, literal, select, text, union_all
from sqlalchemy.orm import Session

from projections import direct
from projections.tables import text_id


class PreparedSelects:
    """``select_events`` of eventsourcing-sqlalchemy's recorders, by Core statements made once per shape."""

    events_record_cls: Any

    def select_events(self, originator_id: UUID | str, gt: int | None = None, lte: int | None = None, desc: bool = False, limit: int | None = None) -> list[StoredEvent]:
        statement = self._select_statement(gt is not None, lte is not None, desc, limit is not None)
        params = {"originator_id": originator_id, "gt": gt, "lte": lte, "limit": limit}
        with self.transaction(commit=False) as session:  # type: ignore[attr-defined]
            rows = direct.rows(direct.connection_of(session), statement, {k: v for k, v in params.items() if v is not None})
        return [
            StoredEvent(originator_id=r["originator_id"], originator_version=r["originator_version"], topic=r["topic"], state=bytes(r["state"]) if isinstance(r["state"], memoryview) else r["state"])
            for r in rows
        ]

    def _select_statement(self, gt: bool, lte: bool, desc: bool, limit: bool) -> Select[Any]:
        shape = (gt, lte, desc, limit)
        statements: dict[tuple[bool, ...], Select[Any]] = self.__dict__.setdefault("_selects", {})
        found = statements.get(shape)
        if found is None:
            c = self.events_record_cls.__table__.c
            found = select(c.originator_id, c.originator_version, c.topic, c.state).where(c.originator_id == bindparam("originator_id"))
            if gt:
                found = found.where(c.originator_version > bindparam("gt"))
            if lte:
                found = found.where(c.originator_version <= bindparam("lte"))
            found = found.order_by(c.originator_version.desc() if desc else c.originator_version)
            if limit:
                found = found.limit(bindparam("limit", literal_execute=False))
            statements[shape] = found
        return found


class AggregateRecorder(PreparedSelects, SQLAlchemyAggregateRecorder):
    """Snapshots."""


def _stored(r: Any) -> StoredEvent:
    return StoredEvent(originator_id=r["originator_id"], originator_version=r["originator_version"], topic=r["topic"], state=bytes(r["state"]) if isinstance(r["state"], memoryview) else r["state"])


class ApplicationRecorder(PreparedSelects, SQLAlchemyApplicationRecorder):
    def select_snapshot_and_events(self, originator_id: UUID, snapshots: AggregateRecorder) -> tuple[StoredEvent | None, list[StoredEvent]]:
        """The aggregate's latest snapshot in ``snapshots`` (``None`` if it has none)
        and its events after it, by one select: what the library's repository reads
        by two (a one-user command's load, ``benchmarks/bench_http.py``)."""
        statement = self.__dict__.get("_snapshot_and_events")
        if statement is None:
            statement = self.__dict__["_snapshot_and_events"] = self._snapshot_and_events_statement(snapshots.events_record_cls.__table__)
        with self.transaction(commit=False) as session:  # type: ignore[attr-defined]
            rows = direct.rows(direct.connection_of(session), statement, {"originator_id": originator_id})
        if rows and rows[0]["snapshot"]:
            return _stored(rows[0]), [_stored(r) for r in rows[1:]]
        return None, [_stored(r) for r in rows]

    def _snapshot_and_events_statement(self, snapshots: Any) -> Select[Any]:
        s, e = snapshots.c, self.events_record_cls.__table__.c
        wanted = bindparam("originator_id", type_=e.originator_id.type)
        latest = select(s.originator_id, s.originator_version, s.topic, s.state, literal(1).label("snapshot"))
        latest = latest.where(s.originator_id == wanted).order_by(s.originator_version.desc()).limit(1).subquery()
        after = select(func.coalesce(func.max(s.originator_version), 0)).where(s.originator_id == wanted).scalar_subquery()
        events = select(e.originator_id, e.originator_version, e.topic, e.state, literal(0).label("snapshot")).where(e.originator_id == wanted, e.originator_version > after)
        both = union_all(select(latest), events).subquery()
        return select(both).order_by(both.c.snapshot.desc(), both.c.originator_version)

    @functools.cached_property
    def _insert_statement(self) -> Insert:
        # Not ``sort_by_parameter_order``: on SQLite that makes SQLAlchemy insert
        # one row per statement. The ids are matched to the events by their
        # unique (originator id, version) instead.
        c = self.events_record_cls.__table__.c
        return insert(self.events_record_cls.__table__).returning(c.id, c.originator_id, c.originator_version)

    @functools.cached_property
    def _insert_arrays(self) -> TextClause:
        """PostgreSQL: the events as four arrays, in one statement whose text never
        changes, so it is parsed and prepared once: a multi-row ``VALUES`` differs
        with each count of events, and psycopg re-parses its placeholders every
        time (9 ms of a 20-user bulk add, inside the events table's lock). The
        library's ``NOTIFY`` (what wakes the follower) is sent by the same
        statement: one round trip fewer inside the lock."""
        return text(
            f"WITH inserted AS (INSERT INTO {self._qualified_events_table} (originator_id, originator_version, topic, state) "
            "SELECT i, v, t, s FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS bigint[]), CAST(:topics AS text[]), CAST(:states AS bytea[])) "
            "WITH ORDINALITY AS u(i, v, t, s, n) ORDER BY n RETURNING id, originator_id, originator_version) "
            f"SELECT id, originator_id, originator_version FROM inserted, (SELECT pg_notify('{self.channel_name.lower()}', '')) AS notified"
        )

    @property
    def _qualified_events_table(self) -> str:
        return f"{self.schema_name}.{self.events_table_name}" if self.schema_name is not None else self.events_table_name

    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        if self._has_autoincrementing_ids:
            self._lock_table(session)
        connection = direct.connection_of(session)
        if connection.dialect.name == "postgresql":  # arrays into a statement of fixed text, which notifies too
            arrays = {
                "ids": [e.originator_id for e in stored_events],
                "versions": [e.originator_version for e in stored_events],
                "topics": [e.topic for e in stored_events],
                "states": [e.state for e in stored_events],
            }
            returned = [tuple(r) for r in connection.execute(self._insert_arrays, arrays)]
        else:
            rows = [{"originator_id": e.originator_id, "originator_version": e.originator_version, "topic": e.topic, "state": e.state} for e in stored_events]
            if len(rows) == 1:  # most commands: straight on the cursor where the store allows (projections.direct)
                returned = [(r["id"], r["originator_id"], r["originator_version"]) for r in direct.rows(connection, self._insert_statement, rows[0])]
            else:
                returned = [tuple(r) for r in connection.execute(self._insert_statement, rows)]
            self._notify_channel(session)
        inserted = {(str(r[1]), r[2]): r[0] for r in returned}
        return [inserted[(text_id(e.originator_id), e.originator_version)] for e in stored_events]

    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None, topics: Sequence[str] = (), *, inclusive_of_start: bool = True
    ) -> list[Notification]:
        """The library's ``select_notifications`` (same filters, same order), by a
        Core select made once per shape: the library's ORM query built a mapped
        object per row, about a third of a rebuild's reading (bench_read_side)."""
        shape = (None if start is None else inclusive_of_start, stop is not None, bool(topics))
        params: dict[str, Any] = {"start": start, "stop": stop, "limit": limit}
        if topics:
            params["topics"] = list(topics)
        with self.transaction(commit=False) as session:
            rows = session.connection().execute(self._notifications_statement(shape), {k: v for k, v in params.items() if v is not None}).all()
        return [Notification(id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=bytes(r[4]) if isinstance(r[4], memoryview) else r[4]) for r in rows]

    def _notifications_statement(self, shape: tuple[bool | None, bool, bool]) -> Select[Any]:
        statements: dict[tuple[bool | None, bool, bool], Select[Any]] = self.__dict__.setdefault("_notification_selects", {})
        found = statements.get(shape)
        if found is None:
            inclusive, stop, topics = shape
            c = self.events_record_cls.__table__.c
            found = select(c.id, c.originator_id, c.originator_version, c.topic, c.state)
            if inclusive is not None:
                found = found.where(c.id >= bindparam("start") if inclusive else c.id > bindparam("start"))
            if stop:
                found = found.where(c.id <= bindparam("stop"))
            if topics:
                found = found.where(c.topic.in_(bindparam("topics", expanding=True)))
            found = statements[shape] = found.order_by(c.id).limit(bindparam("limit", literal_execute=False))
        return found


class Factory(SQLAlchemyFactory):
    aggregate_recorder_class = AggregateRecorder
    application_recorder_class = ApplicationRecorder
