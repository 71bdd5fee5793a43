"""Read models checked against the history: rebuild each into scratch tables
(``…__check``) with the same code, compare row by row with the live tables,
report every difference, drop the scratch tables."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from projections.framework import EventSource, ReadModel, tracking_table
from sema.application import SemaApplication

CHECK_SUFFIX = "__check"
EXAMPLES = 5


@dataclass
class TableReport:
    """One live table against its rebuild: rows only the rebuild has (``missing``
    from the live table), rows only the live table has (``unexpected``), and rows
    with the same key but different values (``changed``)."""

    table: str
    rows: int = 0
    missing: int = 0
    unexpected: int = 0
    changed: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.changed)

    def note(self, text: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(text)


@dataclass
class ReadModelReport:
    name: str
    position: int
    tables: list[TableReport]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


def _digest(row: tuple[Any, ...]) -> bytes:
    return hashlib.blake2b(repr(row).encode(), digest_size=16).digest()


def _key_columns(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


def compare_tables(session: Session, live: Table, rebuilt: Table, batch_size: int = 5000) -> TableReport:
    """Keys and row digests of the live table in memory; the rebuilt rows streamed past them."""
    report = TableReport(table=live.name)
    live_keys = _key_columns(live)
    key_names = [c.name for c in live_keys]
    columns = [c.name for c in live.columns]
    live_rows: dict[tuple[Any, ...], list[bytes]] = {}
    for row in session.execute(select(live).execution_options(yield_per=batch_size)):
        values = tuple(row)
        key = tuple(values[columns.index(n)] for n in key_names)
        live_rows.setdefault(key, []).append(_digest(values))
    report.rows = sum(len(v) for v in live_rows.values())
    rebuilt_columns = [rebuilt.c[n] for n in columns]
    for row in session.execute(select(*rebuilt_columns).execution_options(yield_per=batch_size)):
        values = tuple(row)
        key = tuple(values[columns.index(n)] for n in key_names)
        digest = _digest(values)
        found = live_rows.get(key)
        if not found:
            report.missing += 1
            report.note(f"missing from the live table: {dict(zip(columns, values))}")
            continue
        if digest in found:
            found.remove(digest)
        else:
            found.pop()
            report.changed += 1
            actual = session.execute(select(live).where(*[live.c[n] == v for n, v in zip(key_names, key)])).first()
            report.note(f"changed: {dict(zip(columns, values))} expected, live has {dict(zip(columns, tuple(actual))) if actual else None}")
        if not found:
            del live_rows[key]
    for key, remaining in live_rows.items():
        report.unexpected += len(remaining)
        report.note(f"unexpected in the live table: {dict(zip(key_names, key))}")
    return report


def check_read_models(
    app: SemaApplication, names: Iterable[str] = (), batch_size: int = 5000, progress: Callable[[int], None] | None = None
) -> list[ReadModelReport]:
    projections = app.projections
    assert projections is not None  # built by the composition root
    engine = projections.engine
    source = EventSource(app)
    reports = []
    for model in projections.by_name(names):
        scratch = type(model)(suffix=CHECK_SUFFIX)
        scratch.drop(engine)
        scratch.create(engine)
        try:
            with Session(engine) as session:
                target = model.position(session)
            for batch in source.batches(0, batch_size, stop=target):
                with Session(engine) as session, session.begin():
                    scratch.process(session, batch)
                if progress:
                    progress(len(batch))
            reports.append(_compare(app, model, scratch, source, batch_size))
        finally:
            scratch.drop(engine)
    return reports


def _compare(app: SemaApplication, live: ReadModel, scratch: ReadModel, source: EventSource, batch_size: int) -> ReadModelReport:
    assert app.projections is not None
    engine = app.projections.engine
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(engine) as session, session.begin():
        if engine.dialect.name == "sqlite":
            # Take the write lock first: no command may commit between reading
            # the live position and comparing (PostgreSQL: the snapshot does it).
            session.execute(tracking_table.update().where(tracking_table.c.projection == scratch.tracking_name).values(notification_id=tracking_table.c.notification_id))
        position = live.position(session)
        for batch in source.batches(scratch.position(session), batch_size, stop=position):
            scratch.process(session, batch)
        tables = [compare_tables(session, live_table, scratch_table, batch_size) for live_table, scratch_table in zip(live.metadata.sorted_tables, scratch.metadata.sorted_tables)]
        session.rollback()
    return ReadModelReport(name=live.name, position=position, tables=tables)
