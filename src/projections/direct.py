"""Prepared statements run straight on SQLite's cursor, on SQLAlchemy's connection.

A one-user command runs about fifteen small statements. On SQLite each takes
a few microseconds to run, and SQLAlchemy's execution around it (an execution
context, parameter processing, a result object) took four times as long:
the largest single cost of the command path (issue 12's third profile,
``benchmarks/bench_http.py``). For statements made once and run on every
command, :func:`rows` and :func:`run` do what SQLAlchemy does — the same SQL,
compiled once by SQLAlchemy for the connection's dialect, the same type
processing of parameters and results (SQLAlchemy's own processors), the same
exception classes, on the same connection and transaction — without the rest.

Anything else goes through SQLAlchemy: other dialects (on PostgreSQL the round
trip dominates), statements with parameters expanded at execution (``IN``
lists), Python-side column defaults, and any connection someone listens to
(``before_cursor_execute``: tests that count statements, tracing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from projections.executemany import executemany

MAX_PLANS = 2000
Row = dict[str, Any]
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
Processor = Callable[[Any], Any] | None


class _Plan:
    """A statement as SQLite's cursor takes it: SQL, bind names in order with their processors, result keys and processors."""

    __slots__ = ("compiled", "sql", "binds", "names", "defaults", "keys", "results", "_get", "_processed")

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.compiled = compiled
        self.sql: str = compiled.string
        processors = compiled._bind_processors  # type: ignore[attr-defined]
        self.binds: list[tuple[str, Processor]] = [(name, processors.get(name)) for name in compiled.positiontup or ()]  # type: ignore[attr-defined]
        self.names = frozenset(n for n, _ in self.binds)
        # The values in the driver's order by one C call; then the few that have a processor.
        ordered = [n for n, _ in self.binds]
        self._get: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            (lambda values: ()) if not ordered else (lambda values, get=itemgetter(ordered[0]): (get(values),)) if len(ordered) == 1 else itemgetter(*ordered)
        )
        self._processed = tuple((i, p) for i, (_, p) in enumerate(self.binds) if p is not None)
        # Values the statement carries (a LIMIT's 1): used when not given, as SQLAlchemy does.
        binds = compiled.binds
        self.defaults = {n: b.value for n, _ in self.binds if not (b := binds[n]).required and b.callable is None}
        columns = compiled._result_columns  # type: ignore[attr-defined]
        self.keys: list[str] = [c.keyname for c in columns]
        self.results: list[Processor] = [c.type._cached_result_processor(dialect, None) for c in columns]

    def parameters(self, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        values: Mapping[str, Any] = {**self.defaults, **params} if params and self.defaults else params or self.defaults
        if not self.names <= values.keys():
            values = self.compiled.construct_params(params, escape_names=False)  # raises as SQLAlchemy does for a missing value
        found = self._get(values)
        if not self._processed:
            return found
        processed = list(found)
        for index, process in self._processed:
            processed[index] = process(processed[index])
        return tuple(processed)


_plans: dict[tuple[int, tuple[str, ...]], tuple[ClauseElement, _Plan | None]] = {}


def _plan(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    """The statement's plan, or ``None`` where SQLAlchemy must run it; made once per statement and parameter names."""
    cache_key = (id(statement), keys)
    found = _plans.get(cache_key)
    if found is not None and found[0] is statement:
        return found[1]
    plan: _Plan | None = _Plan(statement, dialect, keys)
    compiled = plan.compiled  # type: ignore[union-attr]
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.insert_prefetch or compiled.update_prefetch or not compiled.positional:  # type: ignore[attr-defined]
        plan = None
    if len(_plans) >= MAX_PLANS:
        _plans.clear()  # a bound, should a caller pass statements made afresh each time
    _plans[cache_key] = (statement, plan)  # the statement is kept with its plan, so its id is not reused meanwhile
    return plan


_KEPT = "sema_connection"


def connection_of(session: Session) -> Connection:
    """``session.connection()``, asked of the session once per transaction: a command
    asks for it six times (the event store's read and insert, the inline read
    models' tracking and each one's batch), and each time the ORM walked its
    transaction's state machine, about 13,000 instructions (issue 12's sixth
    profile). Kept in the session's ``info`` beside the transaction it belongs to,
    so a session that begins again gets its new connection."""
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if kept is not None and transaction is not None and kept[0] is transaction:
        return kept[1]  # type: ignore[no-any-return]
    connection = session.connection()
    session.info[_KEPT] = (session.get_transaction(), connection)
    return connection


def _direct(connection: Connection) -> bool:
    # SQLAlchemy's own test before it runs a connection's event hooks (``_execute_context``):
    # asking the dispatchers for ``before_cursor_execute`` built a joined listener each
    # time, some fifteen times a command.
    engine = connection.engine  # _unwatched_sqlite's test, inline: this runs for every statement
    return engine.dialect.name == "sqlite" and not (connection._has_events or engine._has_events)


def _unwatched_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and not engine._has_events


def rows(connection: Connection, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> list[Row]:
    """The rows of a query made once (a module constant, a kept statement), as dicts by column key."""
    plan = _plan(statement, connection.dialect, tuple(params or ())) if _direct(connection) else None
    if plan is None or not plan.keys:  # no columns known when compiled (a ``text()`` query): SQLAlchemy names them from the cursor
        return [dict(r) for r in connection.execute(statement, params).mappings()]  # type: ignore[arg-type]
    return _as_rows(plan, _send(connection, plan, params, fetch=True))


def _as_rows(plan: _Plan, found: list[tuple[Any, ...]]) -> list[Row]:
    keys, results = plan.keys, plan.results
    if not any(results):
        return [dict(zip(keys, r)) for r in found]
    return [{k: v if p is None else p(v) for k, p, v in zip(keys, results, r)} for r in found]


def read(engine: Engine, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> list[Row]:
    """:func:`rows` on a connection of the engine's pool for this one query, outside
    any transaction (SQLite reads the latest commit). On SQLite the driver's
    connection is taken from the pool as it is, without SQLAlchemy's connection
    and transaction around it: what authenticating each request cost beyond its
    query (issue 12, ``benchmarks/bench_http.py``)."""
    plan = _plan(statement, engine.dialect, tuple(params or ())) if _unwatched_sqlite(engine) else None
    if plan is None or not plan.keys:
        with engine.connect() as connection:
            return rows(connection, statement, params)
    values = _values(plan, params)
    pooled = engine.raw_connection()
    try:
        found = pooled.driver_connection.execute(plan.sql, values).fetchall()  # type: ignore[union-attr]
    except engine.dialect.loaded_dbapi.Error as error:
        raise _translated(engine.dialect, plan.sql, params, error) from error
    finally:
        pooled.close()
    return _as_rows(plan, found)


def run(connection: Connection, statement: ClauseElement, params: Params = None) -> None:
    """A write made once (a module constant, a kept statement), for one row of
    parameters or many (``executemany``)."""
    many = params is not None and not isinstance(params, Mapping)
    if many and not params:
        return
    if many and len(params) > 1:  # type: ignore[arg-type]
        # Parameters made column by column, any store; on SQLite sent on the cursor.
        executemany(connection, statement, params, functools.partial(_send_many, connection) if _direct(connection) else None)  # type: ignore[arg-type]
        return
    first = params[0] if many else params  # type: ignore[index]
    plan = _plan(statement, connection.dialect, tuple(first or ())) if _direct(connection) else None  # type: ignore[arg-type]
    if plan is None:
        connection.execute(statement, params)  # type: ignore[arg-type]
    else:
        _send(connection, plan, params, many=many)


def changed(connection: Connection, statement: ClauseElement, params: Mapping[str, Any]) -> int:
    """A write made once, for one row of parameters, as :func:`run`: how many rows it changed."""
    plan = _plan(statement, connection.dialect, tuple(params)) if _direct(connection) else None
    if plan is None:
        return int(connection.execute(statement, params).rowcount)  # type: ignore[attr-defined]
    return int(_send(connection, plan, params))


def _driver(connection: Connection) -> Any:
    """The driver's connection, in SQLAlchemy's transaction."""
    if not connection.in_transaction():
        connection.begin()  # as SQLAlchemy's autobegin: the caller's commit() or rollback() then applies
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _send(connection: Connection, plan: _Plan, params: Any, many: bool = False, fetch: bool = False) -> Any:
    """Runs the plan on the driver's connection in SQLAlchemy's transaction; the rows
    if ``fetch``, else how many rows a single write changed."""
    driver = _driver(connection)
    values = _values(plan, params, many)
    try:
        if many:
            return driver.executemany(plan.sql, values)
        cursor = driver.execute(plan.sql, values)
        return cursor.fetchall() if fetch else cursor.rowcount
    except connection.dialect.loaded_dbapi.Error as error:
        raise _translated(connection.dialect, plan.sql, params, error) from error


def _send_many(connection: Connection, sql: str, values: list[Any]) -> None:
    """An ``executemany`` of parameters already made (:mod:`projections.executemany`) on SQLite's cursor."""
    try:
        _driver(connection).executemany(sql, values)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _translated(connection.dialect, sql, values, error) from error


def _values(plan: _Plan, params: Any, many: bool = False) -> Any:
    """The plan's parameters for the driver (a list of them if ``many``); a value missing raises as SQLAlchemy raises it."""
    try:
        return [plan.parameters(p) for p in params] if many else plan.parameters(params)
    except exc.InvalidRequestError as error:
        raise exc.StatementError(str(error), plan.sql, params, error) from error


def _translated(dialect: Dialect, sql: str, params: Any, error: Exception) -> exc.DBAPIError:
    """The exception SQLAlchemy would raise (IntegrityError, OperationalError …), so callers and the event store see no difference."""
    return exc.DBAPIError.instance(sql, params, error, dialect.loaded_dbapi.Error, dialect=dialect)
