"""A group of like writes sent as one ``executemany`` straight to the driver.

SQLAlchemy's ``execute(statement, rows)`` builds each row's parameters
through the compiled statement (``construct_params``, then each type's bind
processor, in ``_init_compiled``): in a rebuild's profile that cost more
than SQLite took to run the statements (issue 12, ``benchmarks/bench_read_side.py``).
Here the statement is compiled once per dialect and columns, exactly as
SQLAlchemy would compile it, and each row's values are put in the driver's
order through the same bind processors; the SQL text then goes out with
``exec_driver_sql``, on the same connection and transaction.

Statements with parameters SQLAlchemy rewrites at execution (expanding ``IN``
lists, literal values, escaped names) go through SQLAlchemy as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class _Plan:
    """A compiled statement's text, its parameter names in the driver's order,
    and the bind processors of those that have one."""

    statement: Executable  # kept, so the id keying the plan stays this statement's
    sql: str
    names: tuple[str, ...]
    positional: bool
    # (index in ``names``, SQLAlchemy's processor, its results for None/True/False where the type is Boolean)
    processors: tuple[tuple[int, Callable[[Any], Any], dict[Any, Any] | None], ...]

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Column by column (``map`` and ``zip`` loop in C): each processed column
        through its processor, Boolean ones by a lookup of the processor's own
        results for None, True and False (anything else: the processor, which
        refuses it as SQLAlchemy would)."""
        columns = [list(map(itemgetter(name), rows)) for name in self.names]
        for index, process, known in self.processors:
            if known is not None:
                try:
                    columns[index] = list(map(known.__getitem__, columns[index]))
                    continue
                except (KeyError, TypeError):
                    pass
            columns[index] = list(map(process, columns[index]))
        if self.positional:
            return list(zip(*columns))
        return [dict(zip(self.names, values)) for values in zip(*columns)]


_plans: dict[tuple[int, str, tuple[str, ...]], _Plan | None] = {}


def executemany(connection: Connection, statement: Executable, rows: Sequence[dict[str, Any]], send: Callable[[str, list[Any]], None] | None = None) -> None:
    """``connection.execute(statement, rows)``, with the rows' parameters made by a
    plan kept per statement (which must be kept too: made once, not per call),
    dialect and parameter names. Every row names the same parameters. ``send``
    takes the SQL and the rows' parameters instead of ``exec_driver_sql`` (SQLite's
    cursor: :mod:`projections.direct`)."""
    keys = tuple(sorted(rows[0]))
    key = (id(statement), connection.dialect.name, keys)
    try:
        plan = _plans[key]
    except KeyError:
        plan = _plans[key] = _compile(connection.dialect, statement, keys)
    if plan is None or len(rows) < 2:
        connection.execute(statement, list(rows))
        return
    (send or connection.exec_driver_sql)(plan.sql, plan.parameters(rows))


def _compile(dialect: Dialect, statement: Executable, keys: tuple[str, ...]) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler) or compiled.escaped_bind_names or compiled.literal_execute_params or compiled.post_compile_params:
        return None
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup is not None else tuple(binds)
    if set(names) - set(keys) or any(binds[name].expanding or binds[name].type._is_tuple_type for name in names):
        return None  # a parameter the rows do not name (a default), or one SQLAlchemy expands: its own path
    processors = []
    for index, name in enumerate(names):
        process = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            known = {value: process(value) for value in (None, True, False)} if isinstance(binds[name].type, Boolean) else None
            processors.append((index, process, known))
    return _Plan(statement, compiled.string, names, compiled.positional, tuple(processors))
