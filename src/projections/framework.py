"""One shape for every read model.

A :class:`ReadModel` owns some SQLAlchemy tables and one handler per event
type. It is *tracked*: the position of the last event it applied is stored in
``sema_projection_tracking`` in the same transaction as its rows, so each
event is applied exactly once whether it arrives inline (in the command's own
transaction), from a follower polling the store, or during a rebuild. Events
at or below the tracked position are skipped, which makes reprocessing
idempotent.

Tables are named with a suffix so a rebuild can fill a shadow copy
(``…__rebuild``) while the service keeps reading the live one, then swap the
two in one short transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, Recording
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, select, text
from sqlalchemy.orm import Session

tracking_metadata = MetaData()
tracking_table = Table(
    "sema_projection_tracking",
    tracking_metadata,
    Column("projection", String(100), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
)

REBUILD_SUFFIX = "__rebuild"
Handler = Callable[..., None]


@dataclass(frozen=True)
class Position:
    """An event with its place in the application sequence, and the stored
    record it was read from (topic and serialised state, as in the event table)."""

    notification_id: int
    event: DomainEventProtocol[Any]
    notification: Notification


class ReadModel:
    """Subclasses set ``name``, define their tables in :meth:`define_tables` and
    register handlers with :func:`handles`. Unhandled events only advance tracking."""

    name: ClassVar[str]
    handlers: ClassVar[dict[type, Handler]]

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.metadata = MetaData()
        # The database's dialect ("sqlite", "postgresql"), known once created or dropped.
        self.dialect = ""
        self.define_tables()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type, Handler] = {}
        for base in reversed(cls.__mro__):
            for attribute in vars(base).values():
                for event_class in getattr(attribute, "_handles", ()):
                    handlers[event_class] = attribute
        cls.handlers = handlers

    # --- to override

    def define_tables(self) -> None:
        raise NotImplementedError

    def create_extras(self, session: Session) -> None:
        """Dialect-specific objects SQLAlchemy's metadata cannot express (FTS tables, trigram indexes)."""

    def extra_table_names(self) -> list[str]:
        """Names of tables made by :meth:`create_extras`, swapped and dropped with the rest."""
        return []

    def after_swap(self, session: Session) -> None:
        """After a rebuild's shadow tables took the live names: rename extras such as indexes."""

    # --- machinery

    def table(self, name: str, *columns: Any, **kwargs: Any) -> Table:
        return Table(f"{name}{self.suffix}", self.metadata, *columns, **kwargs)

    def index_name(self, name: str) -> str:
        return f"{name}{self.suffix}"

    @property
    def tracking_name(self) -> str:
        return f"{self.name}{self.suffix}"

    def create(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        tracking_metadata.create_all(engine)
        self.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            self.create_extras(session)

    def drop(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        with Session(engine) as session, session.begin():
            for name in self.extra_table_names():
                session.execute(text(f"DROP TABLE IF EXISTS {name}"))
            session.execute(tracking_table.delete().where(tracking_table.c.projection == self.tracking_name))
        self.metadata.drop_all(engine)

    def table_names(self) -> list[str]:
        return [t.name for t in self.metadata.sorted_tables] + self.extra_table_names()

    def position(self, session: Session) -> int:
        value = session.execute(
            select(tracking_table.c.notification_id).where(tracking_table.c.projection == self.tracking_name)
        ).scalar_one_or_none()
        return value or 0

    def process(self, session: Session, positions: Iterable[Position]) -> int:
        """Applies the events after the tracked position, then records the new position.

        Consecutive events taken by the same ``many`` handler are passed to it
        together (one ``executemany`` instead of one statement per event), and
        rows given to :meth:`insert_later` are written in bulk before any other
        handler runs, so handlers still see the events' effects in order."""
        tracked = start = self.position(session)
        run: list[tuple[Any, int]] = []
        run_handler: Handler | None = None
        for position in positions:
            if position.notification_id <= tracked:
                continue
            handler = self.handlers.get(type(position.event))
            tracked = position.notification_id
            if handler is None:
                continue
            if run and handler is not run_handler:
                self._apply_run(session, run_handler, run)
                run = []
            if getattr(handler, "_many", False):
                run_handler = handler
                run.append((position.event, position.notification_id))
                continue
            if not getattr(handler, "_appends_only", False):
                self.flush(session)
            handler(self, session, position.event, position.notification_id)
        if run:
            self._apply_run(session, run_handler, run)
        self.flush(session)
        if tracked != start:
            self._set_position(session, tracked, insert=start == 0 and not self._has_row(session))
        return tracked

    def _apply_run(self, session: Session, handler: Handler | None, run: list[tuple[Any, int]]) -> None:
        assert handler is not None  # a run always has the handler that started it
        self.flush(session)
        handler(self, session, run)

    def insert_later(self, session: Session, table: Table, row: dict[str, Any]) -> None:
        """Queues a row; queued rows are inserted together before the next handler
        that may read or change rows, and at the end of the batch. The queue
        lives on the session, so concurrent commands never share one."""
        pending = session.info.setdefault(("sema_pending", id(self)), {})
        pending.setdefault(table, []).append(row)

    def pending_rows(self, session: Session, table: Table) -> list[dict[str, Any]]:
        """Rows queued for ``table`` and not yet written (an ``appends_only`` handler may amend them)."""
        return session.info.get(("sema_pending", id(self)), {}).get(table, [])

    def flush(self, session: Session) -> None:
        pending = session.info.pop(("sema_pending", id(self)), None)
        if not pending:
            return
        for table, rows in pending.items():
            session.execute(table.insert(), rows)
        self.after_flush(session, pending)

    def after_flush(self, session: Session, inserted: dict[Table, list[dict[str, Any]]]) -> None:
        """Override to write what depends on freshly inserted rows (search indexes)."""

    def _has_row(self, session: Session) -> bool:
        return session.execute(
            select(tracking_table.c.projection).where(tracking_table.c.projection == self.tracking_name)
        ).first() is not None

    def _set_position(self, session: Session, notification_id: int, insert: bool) -> None:
        if insert:
            session.execute(tracking_table.insert().values(projection=self.tracking_name, notification_id=notification_id))
        else:
            session.execute(
                tracking_table.update()
                .where(tracking_table.c.projection == self.tracking_name)
                .values(notification_id=notification_id)
            )


def utc(value: datetime | None) -> datetime | None:
    """Times as stored in read models: UTC (SQLite keeps no offset, so convert first)."""
    return value.astimezone(timezone.utc) if value is not None else None


def handles(*event_classes: type, many: bool = False, appends_only: bool = False) -> Callable[[Handler], Handler]:
    """Marks a read-model method as the handler of these event classes.

    A plain handler is called as ``(self, session, event, notification_id)``.
    ``many=True``: called as ``(self, session, [(event, notification_id), …])``
    with every consecutive event it handles (a bulk status change, a rebuild).
    ``appends_only=True``: the handler only queues rows with
    :meth:`ReadModel.insert_later` and reads nothing its model queues, so
    queued rows need not be written before it runs."""

    def decorate(method: Handler) -> Handler:
        method._handles = event_classes  # type: ignore[attr-defined]
        method._many = many  # type: ignore[attr-defined]
        method._appends_only = appends_only  # type: ignore[attr-defined]
        return method

    return decorate


class EventSource:
    """Reads the application sequence in order, in batches, decoded."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def max_id(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def batches(self, after: int, batch_size: int = 2000, stop: int | None = None) -> Iterator[list[Position]]:
        to_domain_event = self.app.mapper.to_domain_event
        while True:
            notifications = self.app.recorder.select_notifications(
                start=after, limit=batch_size, stop=stop, inclusive_of_start=False
            )
            if not notifications:
                return
            yield [Position(n.id, to_domain_event(n), n) for n in notifications]
            after = notifications[-1].id
            if len(notifications) < batch_size:
                return


class Projections:
    """The read models of one application, kept inline, by catching up, or rebuilt."""

    def __init__(self, app: Any, read_models: Sequence[ReadModel]) -> None:
        self.app = app
        self.read_models = list(read_models)
        self.source = EventSource(app)

    @property
    def engine(self) -> Engine:
        return self.app.engine

    def create_tables(self) -> None:
        for model in self.read_models:
            model.create(self.engine)

    def by_name(self, names: Iterable[str] = ()) -> list[ReadModel]:
        wanted = list(names)
        known = {m.name: m for m in self.read_models}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise KeyError(f"unknown read model(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return [known[n] for n in wanted] if wanted else list(self.read_models)

    def process_inline(self, session: Session, recordings: Sequence[Recording]) -> None:
        """Called inside the command's transaction: the command's effect is visible to the next query."""
        if not recordings:
            return
        new = [Position(r.notification.id, r.domain_event, r.notification) for r in recordings]
        first = new[0].notification_id
        for model in self.read_models:
            tracked = model.position(session)
            if tracked < first - 1:
                # Behind (a read model added later, or events written without it): catch up first.
                for batch in self.source.batches(tracked, stop=first - 1):
                    model.process(session, batch)
            model.process(session, new)

    def catch_up(self, names: Iterable[str] = (), batch_size: int = 2000, progress: Callable[[int], None] | None = None) -> int:
        """Applies every event not yet applied, reading the store once for all the
        named read models; one transaction per batch. Returns events read."""
        models = self.by_name(names)
        with Session(self.engine) as session:
            start = min((m.position(session) for m in models), default=0)
        seen = 0
        for batch in self.source.batches(start, batch_size):
            with Session(self.engine) as session, session.begin():
                for model in models:
                    model.process(session, batch)
            seen += len(batch)
            if progress:
                progress(len(batch))
        return seen

    def rebuild(self, names: Iterable[str] = (), batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> None:
        """Fills shadow tables from the whole history while the live ones keep
        serving, then swaps each in one short transaction (catching up on events
        that arrived meanwhile). The history is read once for all the named models."""
        pairs = [(model, type(model)(suffix=REBUILD_SUFFIX)) for model in self.by_name(names)]
        for _, shadow in pairs:
            shadow.drop(self.engine)
            shadow.create(self.engine)
        for batch in self.source.batches(0, batch_size):
            with Session(self.engine) as session, session.begin():
                for _, shadow in pairs:
                    shadow.process(session, batch)
            if progress:
                progress(len(batch))
        for live, shadow in pairs:
            self._swap(live, shadow, batch_size)

    def _swap(self, live: ReadModel, shadow: ReadModel, batch_size: int) -> None:
        with Session(self.engine) as session, session.begin():
            # Take the write lock first, so no command commits events between the
            # last catch-up below and the swap (SQLite: the first write takes the
            # database lock; PostgreSQL: writers lock the events table to insert).
            if self.engine.dialect.name == "postgresql":
                session.execute(text(f"LOCK TABLE {self.app.recorder.events_table_name} IN EXCLUSIVE MODE"))
            else:
                session.execute(tracking_table.update().where(tracking_table.c.projection == shadow.tracking_name).values(notification_id=tracking_table.c.notification_id))
            for batch in self.source.batches(shadow.position(session), batch_size):
                shadow.process(session, batch)
            position = shadow.position(session)
            for name in live.table_names():
                session.execute(text(f"DROP TABLE IF EXISTS {name}"))
            for old, new in zip(shadow.table_names(), live.table_names()):
                session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
            self._rename_indexes(session, live, shadow)
            live.after_swap(session)
            session.execute(tracking_table.delete().where(tracking_table.c.projection.in_([live.tracking_name, shadow.tracking_name])))
            session.execute(tracking_table.insert().values(projection=live.tracking_name, notification_id=position))

    def _rename_indexes(self, session: Session, live: ReadModel, shadow: ReadModel) -> None:
        """Index names are per database: give the swapped tables' indexes their live names."""
        for live_table, shadow_table in zip(live.metadata.sorted_tables, shadow.metadata.sorted_tables):
            pairs = zip(sorted(live_table.indexes, key=lambda i: str(i.name)), sorted(shadow_table.indexes, key=lambda i: str(i.name)))
            for live_index, shadow_index in pairs:
                if self.engine.dialect.name == "postgresql":
                    session.execute(text(f"ALTER INDEX {shadow_index.name} RENAME TO {live_index.name}"))
                else:
                    session.execute(text(f"DROP INDEX IF EXISTS {shadow_index.name}"))
                    live_index.create(session.connection())
