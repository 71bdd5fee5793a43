"""A rebuild's fill split across processes (ADR 58).

The fill is the handlers' Python per event and per write, and the store's
writes: one core's work. With more processes, the read models of a rebuild
are split into groups of about equal measured cost (``ReadModel.rebuild_cost``);
this process fills the first group as before, each other group is filled by a
forked process that reads the whole history itself (reading is a fraction of
the fill, and no events cross between processes).

On PostgreSQL the other processes write their shadow tables in the store, in
transactions of their own: writers of different tables do not wait for each
other. On SQLite the store has one write lock, and a transaction that read
before another writer committed cannot write at all; so each other process
fills its shadow tables in a scratch file of its own beside the store, and
this process copies them in (``INSERT … SELECT`` through ``ATTACH``, a table a
transaction) once its own fill is done. Read models with tables SQLAlchemy's
metadata does not describe (the directory's FTS5 index) are filled here, in
the store, never copied.

Whatever the split, each shadow is filled by the same code from position 0,
its tracking row written with its rows; the swap (catch-up, rename) is the
same one short transaction per read model as in one process. This process
swaps its own models as soon as its fill is done (the others fill on), then
each other group's once that group is filled and copied in.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from projections.framework import Projections, ReadModel

# Scratch files are written once and copied once: nothing to recover after a crash.
SCRATCH_PRAGMAS = ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-65536")
# What this process does after its fill while the others still fill, in
# ``ReadModel.rebuild_cost``'s units: the swaps of its own models and the
# directory's index merge (~2 s CPU at 20,000 users), so the others take more.
AFTER_FILL_COST = 2.0


def split(models: Sequence[ReadModel], processes: int, dialect: str) -> list[list[ReadModel]]:
    """The read models in at most ``processes`` non-empty groups of about equal
    cost, the first for this process: the costliest first, each to the group
    with the least so far (longest processing time first); the first group
    starts with what this process does after the fill. On SQLite, models
    with extra tables are kept in the first group (they are not copied)."""
    groups: list[list[ReadModel]] = [[] for _ in range(max(1, processes))]
    costs = [0.0] * len(groups)
    costs[0] = AFTER_FILL_COST
    pinned = [m for m in models if dialect == "sqlite" and m.extra_table_names()]
    for model in pinned:
        groups[0].append(model)
        costs[0] += model.rebuild_cost
    for model in sorted((m for m in models if m not in pinned), key=lambda m: -m.rebuild_cost):
        least = min(range(len(groups)), key=lambda i: (costs[i], i))
        groups[least].append(model)
        costs[least] += model.rebuild_cost
    order = {id(m): i for i, m in enumerate(models)}
    return [sorted(g, key=lambda m: order[id(m)]) for g in groups if g]


class _Worker:
    """One forked process filling ``models``; on SQLite into ``scratch``."""

    def __init__(self, process: Any, pipe: Pipe, models: list[ReadModel], scratch: Path | None) -> None:
        self.process = process
        self.pipe = pipe
        self.models = models
        self.scratch = scratch

    def result(self) -> None:
        """Waits for the process; raises if its fill failed."""
        try:
            failure = self.pipe.recv()
        except EOFError:
            failure = "the process ended without a word"
        self.process.join()
        if failure is not None or self.process.exitcode != 0:
            names = ", ".join(m.name for m in self.models)
            raise RuntimeError(f"rebuild of {names} in process {self.process.pid} failed (exit {self.process.exitcode}): {failure}")

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.pipe.close()
        if self.scratch is not None:
            self.scratch.unlink(missing_ok=True)


@contextmanager
def elsewhere(projections: Projections, groups: Sequence[list[ReadModel]], batch_size: int) -> Iterator[list[_Worker]]:
    """A forked process per group, filling it while the caller fills its own;
    stopped (and its scratch file removed) on the way out, whatever happened."""
    workers: list[_Worker] = []
    base = _scratch_base(projections)
    context = multiprocessing.get_context("fork")
    try:
        for number, models in enumerate(groups, start=1):
            scratch = None if base is None else Path(f"{base}.rebuild-{os.getpid()}-{number}")
            if scratch is not None:
                scratch.unlink(missing_ok=True)
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_fill, args=(projections, models, scratch, batch_size, sending), daemon=True)
            process.start()
            sending.close()
            workers.append(_Worker(process, receiving, models, scratch))
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def can_fork(projections: Projections) -> bool:
    """Whether other processes can fill: a store on a server, or a SQLite file
    (not memory) no connection of this process is using. SQLite keeps per
    process what it knows of each open file's locks, and a fork copies that: a
    child's own connection to the store could then skip a lock it believes held
    (SQLite: "do not carry an open database across a fork"). So on SQLite the
    pool's idle connections are closed first, and with one in use (another
    thread's) the fill stays in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    engine = projections.engine
    if engine.dialect.name != "sqlite":
        return True
    if _scratch_base(projections) is None or engine.pool.checkedout():
        return False
    engine.dispose()
    return True


def _scratch_base(projections: Projections) -> str | None:
    """On SQLite, the store's file (scratch files go beside it); else None."""
    url = projections.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _fill(projections: Projections, models: list[ReadModel], scratch: Path | None, batch_size: int, pipe: Pipe) -> None:
    """In the forked process: fill ``models`` from position 0, then say how it went."""
    from projections.framework import collector_spares_the_heap, fill_connection

    failure: str | None = None
    try:
        # The parent's pooled connections are the parent's: never used or closed here.
        projections.engine.dispose(close=False)
        if scratch is None:
            target = projections.engine
        else:
            target = create_engine(f"sqlite:///{scratch}")
            event.listen(target, "connect", _scratch_connection)
            for model in models:
                model.create(target)
                model.defer_indexes(target)
        with fill_connection(target) as connection, collector_spares_the_heap():
            if scratch is None:
                projections.fill(connection, models, batch_size)
            else:
                # No one else writes or reads a scratch file: one transaction, so the
                # pages every batch touches are written out once, not at every commit.
                with Session(bind=connection) as session, session.begin():
                    for batch in projections.source.batches(0, batch_size):
                        for model in models:
                            model.process(session, batch)
        if scratch is not None:
            target.dispose()
    except BaseException:
        failure = traceback.format_exc()
    pipe.send(failure)
    pipe.close()


def _scratch_connection(connection: Any, _: Any) -> None:
    for pragma in SCRATCH_PRAGMAS:
        connection.execute(pragma)


def copy_in(connection: Connection, worker: _Worker) -> None:
    """SQLite: the worker's shadow tables and tracking rows copied from its scratch
    file into the store's (empty) shadow tables, a table a transaction so the
    store's write lock is never held for long; the tracking rows last, so a
    copy cut short leaves shadows no swap takes (the next rebuild drops them)."""
    from projections.framework import tracking_table

    assert worker.scratch is not None
    driver = connection.connection.driver_connection
    assert driver is not None
    connection.commit()
    driver.execute("ATTACH DATABASE ? AS rebuild_part", (str(worker.scratch),))
    try:
        for model in worker.models:
            for table in model.metadata.sorted_tables:
                # Both tables made from the same metadata, the same indexes deferred, the
                # store's empty: SQLite copies such a table's pages as they are (its
                # "transfer optimization"), decoding no row; it needs this very form.
                with connection.begin():
                    connection.exec_driver_sql(f'INSERT INTO main."{table.name}" SELECT * FROM rebuild_part."{table.name}"')
        names = ", ".join(f"'{m.tracking_name}'" for m in worker.models)
        with connection.begin():
            connection.exec_driver_sql(
                f"INSERT INTO main.{tracking_table.name} (projection, notification_id) "
                f"SELECT projection, notification_id FROM rebuild_part.{tracking_table.name} WHERE projection IN ({names})"
            )
    finally:
        connection.commit()
        driver.execute("DETACH DATABASE rebuild_part")


__all__ = ["can_fork", "copy_in", "elsewhere", "split"]
