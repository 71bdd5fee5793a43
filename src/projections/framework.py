"""One shape for every read model.

A :class:`ReadModel` declares its tables (:mod:`projections.tables`) and one
handler per event type, all with one signature: ``(self, batch, event)``. The
handlers of a batch of events write and read through one :class:`Batch`,
which sends like writes together and makes every read see the writes before
it, so batching is the framework's business, never a handler's.

A read model is *tracked*: the position of the last event it applied is
stored in ``sema_projection_tracking`` in the same transaction as its rows, so
each event is applied exactly once whether it arrives inline (in the
command's own transaction), from a follower polling the store, or during a
rebuild. Events at or below the tracked position are skipped, which makes
reprocessing idempotent.

Tables are named with a suffix so a rebuild can fill a shadow copy
(``…__rebuild``) while the service keeps reading the live one, then swap the
two in one short transaction.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import Recording
from sqlalchemy import BigInteger, Column, Connection, Engine, Index, MetaData, String, Table, bindparam, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from projections import direct, fill_processes
from projections.batch import Batch
from projections.source import EventSource, EventStore, Position
from projections.tables import TableSpec

tracking_metadata = MetaData()
tracking_table = Table(
    "sema_projection_tracking",
    tracking_metadata,
    Column("projection", String(100), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
)

REBUILD_SUFFIX = "__rebuild"
# SQLite's page cache for a rebuild's fill, in KiB (the default is 2,000).
FILL_CACHE_KIB = 65536
# SQLite's WAL size, in pages, at which the fill's commits checkpoint (the
# default is 1,000: 4 MB). Each checkpoint copies the WAL's pages into the
# file, so pages every batch touches (the B-trees of random ids) were copied
# once a batch; with this bound, once per several batches (issue 12's profile).
FILL_CHECKPOINT_PAGES = 16384
Handler = Callable[[Batch, Any], None]
H = TypeVar("H", bound=Callable[..., None])

__all__ = ["REBUILD_SUFFIX", "Batch", "EventSource", "Position", "Projections", "ReadModel", "handles", "tracking_table", "utc"]


def handles(*event_classes: type) -> Callable[[H], H]:
    """Marks a read-model method ``(self, batch, event)`` as a handler of these event classes."""

    def decorate(method: H) -> H:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return decorate


class ReadModel:
    """Subclasses set ``name``, declare tables with :func:`projections.tables.table`
    and register handlers with :func:`handles`; handlers of mixins are kept too,
    several for one event class run in the order the classes are based
    (mixins first). Events no handler takes only advance tracking."""

    name: ClassVar[str]
    # Kept in every command's transaction even when a follower keeps the others
    # (requests authenticate from it); never followed, so never applied twice.
    always_inline: ClassVar[bool] = False
    # Indexes only queries read, never a handler: a rebuild fills the shadow
    # tables without them and builds each once, when full (issue 12's profile).
    deferred_indexes: ClassVar[tuple[str, ...]] = ()
    # What a rebuild's fill of this model costs, relative to the others (CPU
    # seconds at 20,000 users, issue 12's profile): how a rebuild in several
    # processes splits the models (ADR 58). Only the proportions matter.
    rebuild_cost: ClassVar[float] = 1.0
    table_specs: ClassVar[dict[str, TableSpec]] = {}
    handler_names: ClassVar[dict[type, tuple[str, ...]]] = {}

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.metadata = MetaData()
        # The database's dialect ("sqlite", "postgresql"), known once created or dropped.
        self.dialect = ""
        for attribute, spec in self.table_specs.items():
            setattr(self, attribute, spec.build(self.metadata, suffix))
        self.handlers: dict[type, list[Handler]] = {
            event_class: [getattr(self, name) for name in names] for event_class, names in self.handler_names.items()
        }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        specs: dict[str, TableSpec] = {}
        methods: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            for attribute, value in vars(base).items():
                if isinstance(value, TableSpec):
                    specs[attribute] = value
                elif getattr(value, "_handles", None):
                    methods[attribute] = value
        names: dict[type, list[str]] = {}
        for attribute, method in methods.items():
            for event_class in method._handles:
                names.setdefault(event_class, []).append(attribute)
        cls.table_specs = specs
        cls.handler_names = {event_class: tuple(found) for event_class, found in names.items()}

    # --- to override

    def create_extras(self, session: Session) -> None:
        """Dialect-specific objects SQLAlchemy's metadata cannot express (FTS tables, trigram indexes)."""

    def extra_table_names(self) -> list[str]:
        """Names of tables made by :meth:`create_extras`, swapped and dropped with the rest."""
        return []

    def after_fill(self, engine: Engine) -> None:
        """A rebuild's shadow, filled, before its swap (outside the swap's lock): tidy what the fill left."""

    def after_swap(self, session: Session) -> None:
        """After a rebuild's shadow tables took the live names: rename extras such as indexes."""

    def apply(self, batch: Batch, positions: Sequence[Position]) -> None:
        """Runs each event's handlers; a read model that folds every stored record (the ledger) overrides it."""
        handlers = self.handlers
        for position in positions:
            found = handlers.get(position.event_class)
            if found:
                batch.position = position.notification_id
                batch.notification = position.notification
                for handler in found:
                    handler(batch, position.event)

    # --- machinery

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

    def _deferred(self) -> list[Index]:
        return [i for t in self.metadata.sorted_tables for i in t.indexes if str(i.name).removesuffix(self.suffix) in self.deferred_indexes]

    def defer_indexes(self, engine: Engine) -> None:
        with engine.begin() as connection:
            for index in self._deferred():
                index.drop(connection, checkfirst=True)

    def build_deferred_indexes(self, engine: Engine) -> None:
        with engine.begin() as connection:
            for index in self._deferred():
                index.create(connection, checkfirst=True)

    def table_names(self) -> list[str]:
        return [t.name for t in self.metadata.sorted_tables] + self.extra_table_names()

    def position(self, session: Session, lock: bool = False) -> int:
        """The tracked position; ``lock``: the tracking row locked to the end of the
        transaction (PostgreSQL), so two processes catching up the same read model
        take turns and the second sees the first's position — never a second apply."""
        value = session.connection().execute(_POSITION_FOR_UPDATE if lock else _POSITION, {"projection": self.tracking_name}).scalar_one_or_none()
        return value or 0

    def takes_any(self, positions: Sequence[Position]) -> bool:
        """Whether a handler takes any of these events (else only the tracking moves)."""
        handlers = self.handlers
        return any(p.event_class in handlers for p in positions)

    def process(self, session: Session, positions: Iterable[Position], tracked: int | None = None, *, track: bool = True) -> int:
        """Applies the events after the tracked position (``tracked``, if the caller
        read it in this transaction) through one :class:`Batch`, then records the
        new position (unless ``track`` is false: the caller records it in this
        transaction), all in ``session``'s transaction. ``positions`` are in the
        store's order (ascending, as every source gives them), so the new ones are
        those after the first beyond the tracked position: found by bisection,
        not a loop per event (a rebuild made one list of every event per model)."""
        start = self.position(session, lock=True) if tracked is None else tracked
        ordered = positions if isinstance(positions, list) else list(positions)
        new = ordered[bisect_right(ordered, start, key=_notification_id) :]
        if not new:
            return start
        tracked = new[-1].notification_id
        batch = Batch(session)
        self.apply(batch, new)
        batch.flush()
        if not track:
            return tracked
        if start == 0 and not self._has_row(session):
            session.execute(tracking_table.insert().values(projection=self.tracking_name, notification_id=tracked))
        else:
            session.connection().execute(_MOVE, {"name": self.tracking_name, "at": tracked})
        return tracked

    def _has_row(self, session: Session) -> bool:
        return session.connection().execute(_POSITION, {"projection": self.tracking_name}).first() is not None


def _notification_id(position: Position) -> int:
    return position.notification_id


# Made once: a statement built per call costs more than SQLite takes to run it.
_POSITION = select(tracking_table.c.notification_id).where(tracking_table.c.projection == bindparam("projection"))
_POSITION_FOR_UPDATE = _POSITION.with_for_update()
_MOVE = tracking_table.update().where(tracking_table.c.projection == bindparam("name")).values(notification_id=bindparam("at"))

_by_names: dict[tuple[str, ...], tuple[Executable, Executable, Executable]] = {}


def _positions_and_move(names: tuple[str, ...]) -> tuple[Executable, Executable, Executable]:
    """Reading the tracked positions of these read models, moving them, and moving
    them only if every one there is stands at a given position (``current``):
    made once per list of names (few: the models of an application), with the
    names as fixed parameters, so SQLAlchemy does not re-render an ``IN`` list
    at each command."""
    found = _by_names.get(names)
    if found is None:
        c = tracking_table.c
        named = or_(*[c.projection == name for name in names])  # not IN: SQLAlchemy renders an IN list afresh each run
        found = _by_names[names] = (
            select(c.projection, c.notification_id).where(named).with_for_update(),
            tracking_table.update().where(named).values(notification_id=bindparam("at")),
            # All or nothing: only if no row of these is elsewhere than ``current``.
            tracking_table.update()
            .where(named, c.notification_id == bindparam("current"), ~select(c.projection).where(named, c.notification_id != bindparam("current")).exists())
            .values(notification_id=bindparam("at")),
        )
    return found


@contextmanager
def collector_spares_the_heap() -> Iterator[None]:
    """The objects alive before a rebuild's fill (modules, metadata, caches) are
    left out of the garbage collector's full collections while it runs: each
    batch leaves enough objects alive (positions, queued rows) to set off a full
    collection, which walked the whole heap — 22 of them, 1.8 s of a 12 s fill
    at 20,000 users (issue 12's profile). Objects made during the fill are
    collected as usual. Left alone if something else froze the heap (a server
    that forks, say): it is that code's to unfreeze."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def fill_connection(engine: Engine) -> Iterator[Connection]:
    """One connection for a whole fill. On SQLite with a larger page cache
    (FILL_CACHE_KIB): the shadow tables' B-trees, written in key order of
    random ids, outgrow the default 2 MB at once, and each page missed is read
    again from the file (issue 12's profile: system time); and checkpointing
    less often (FILL_CHECKPOINT_PAGES). Both set back before the connection
    goes back to the pool (the settings are per connection)."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        (kept,) = driver.execute("PRAGMA cache_size").fetchone()
        (kept_checkpoint,) = driver.execute("PRAGMA wal_autocheckpoint").fetchone()
        driver.execute(f"PRAGMA cache_size=-{FILL_CACHE_KIB}")
        driver.execute(f"PRAGMA wal_autocheckpoint={FILL_CHECKPOINT_PAGES}")
        try:
            yield connection
        finally:
            driver.execute(f"PRAGMA cache_size={int(kept)}")
            driver.execute(f"PRAGMA wal_autocheckpoint={int(kept_checkpoint)}")


def utc(value: datetime | None) -> datetime | None:
    """Times as stored in read models: UTC (SQLite keeps no offset, so convert first)."""
    return value.astimezone(timezone.utc) if value is not None else None


class Projections:
    """The read models of one application, kept inline, by catching up, or rebuilt."""

    def __init__(self, store: EventStore, read_models: Sequence[ReadModel], rebuild_processes: int = 1) -> None:
        self.store = store
        self.read_models = list(read_models)
        self.rebuild_processes = rebuild_processes
        self.source = EventSource(store)

    @property
    def engine(self) -> Engine:
        return self.store.engine

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
        self._process_inline(self.read_models, session, recordings)

    def process_always_inline(self, session: Session, recordings: Sequence[Recording]) -> None:
        """Inline processing of the read models that are never followed, when a follower keeps the rest."""
        self._process_inline([m for m in self.read_models if m.always_inline], session, recordings)

    def _process_inline(self, models: Sequence[ReadModel], session: Session, recordings: Sequence[Recording]) -> None:
        if not recordings:
            return
        new = [Position(r.notification.id, r.domain_event, r.notification) for r in recordings]
        first, last = new[0].notification_id, new[-1].notification_id
        # One update moving every position that is just before the command's events
        # to the last of them: each model either applies the command's events or has
        # none to apply (most commands concern two or three of the ten; issue 12's
        # profile). Only if some position was elsewhere (a model behind, or without a
        # row yet) are the positions read; that read cost a one-user command more than
        # the update (ADR 56).
        names = tuple(m.tracking_name for m in models)
        connection = direct.connection_of(session)
        reading, _, moving_current = _positions_and_move(names)
        changed = direct.changed(connection, moving_current, {"at": last, "current": first - 1})
        if changed == len(names):
            tracked_at = dict.fromkeys(names, first - 1)
        else:
            # The update moves every row there is, or none (if any was elsewhere).
            tracked_at = {r["projection"]: r["notification_id"] for r in direct.rows(connection, reading)}
            if changed:
                tracked_at = dict.fromkeys(tracked_at, first - 1)
        moved = set(tracked_at) if changed else set()
        for model, name in zip(models, names):
            tracked = tracked_at.get(name, 0)
            if tracked < first - 1:
                # Behind (a read model added later, or events written without it): catch up first.
                for batch in self.source.batches(tracked, stop=first - 1):
                    tracked = model.process(session, batch, tracked, track=False)
            if tracked < last and model.takes_any(new):
                model.process(session, new, tracked, track=False)
        behind = [name for name in names if name in tracked_at and name not in moved and tracked_at[name] < last]
        if behind:
            direct.run(connection, _positions_and_move(tuple(behind))[1], {"at": last})
        missing = [name for name in names if name not in tracked_at]
        if missing:
            connection.execute(tracking_table.insert(), [{"projection": name, "notification_id": last} for name in missing])

    def catch_up(self, names: Iterable[str] = (), batch_size: int = 2000, progress: Callable[[int], None] | None = None) -> int:
        """Applies every event not yet applied, reading the store once for all the
        named read models; one transaction per batch. Returns events read.
        Read models kept always inline are left to the commands."""
        models = [m for m in self.by_name(names) if not m.always_inline]
        if not models:
            return 0
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

    def rebuild(
        self, names: Iterable[str] = (), batch_size: int = 5000, progress: Callable[[int], None] | None = None, processes: int | None = None
    ) -> None:
        """Fills shadow tables from the whole history while the live ones keep
        serving, then swaps each in one short transaction (catching up on events
        that arrived meanwhile). ``processes`` (default: the application's
        setting): the read models are split between that many processes, each
        reading the history once for its own (:mod:`projections.fill_processes`);
        1 fills every one here. ``progress`` counts this process's events."""
        wanted = self.rebuild_processes if processes is None else processes
        if wanted < 1:
            raise ValueError(f"a rebuild needs at least one process, not {wanted}")
        pairs = [(model, type(model)(suffix=REBUILD_SUFFIX)) for model in self.by_name(names)]
        for _, shadow in pairs:
            shadow.drop(self.engine)
            shadow.create(self.engine)
            shadow.defer_indexes(self.engine)
        shadows = [shadow for _, shadow in pairs]
        groups = fill_processes.split(shadows, wanted if wanted > 1 and fill_processes.can_fork(self) else 1, self.engine.dialect.name)
        here = groups[0] if groups else []
        live_of = {id(shadow): live for live, shadow in pairs}
        with fill_processes.elsewhere(self, groups[1:], batch_size) as workers:
            with fill_connection(self.engine) as connection, collector_spares_the_heap():
                self.fill(connection, here, batch_size, progress)
            # This process's own shadows are swapped while the others still fill.
            self._finish([(live_of[id(s)], s) for s in here], batch_size)
            for worker in workers:
                worker.result()
                if worker.scratch is not None:
                    with fill_connection(self.engine) as connection:
                        fill_processes.copy_in(connection, worker)
                self._finish([(live_of[id(s)], s) for s in worker.models], batch_size)

    def fill(self, connection: Connection, models: Sequence[ReadModel], batch_size: int, progress: Callable[[int], None] | None = None) -> None:
        """``models`` filled from the whole history on ``connection``, a transaction per batch
        (this process's group of a rebuild, and another process's on PostgreSQL)."""
        for batch in self.source.batches(0, batch_size):
            with Session(bind=connection) as session, session.begin():
                for model in models:
                    model.process(session, batch)
            if progress:
                progress(len(batch))

    def _finish(self, pairs: Sequence[tuple[ReadModel, ReadModel]], batch_size: int) -> None:
        """Full shadows made ready (indexes, tidying) and swapped in, one by one."""
        for live, shadow in pairs:
            if self.engine.dialect.name == "postgresql":
                shadow.build_deferred_indexes(self.engine)  # the swap renames them (SQLite's makes every index anew)
            shadow.after_fill(self.engine)
            self._swap(live, shadow, batch_size)

    def _swap(self, live: ReadModel, shadow: ReadModel, batch_size: int) -> None:
        with Session(self.engine) as session, session.begin():
            # Take the write lock first, so no command commits events between the
            # last catch-up below and the swap (SQLite: the first write takes the
            # database lock; PostgreSQL: writers lock the events table to insert).
            if self.engine.dialect.name == "postgresql":
                session.execute(text(f"LOCK TABLE {self.store.recorder.events_table_name} IN EXCLUSIVE MODE"))
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
