"""Tables of our own beside the event store, for rows that are not events:
credentials, log-in sessions, idempotency keys, welcome letters, mail deliveries.

Each lives in a ``MetaData`` of its own, so the store that uses it creates just
its table, on start, if it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Index, MetaData, Table, inspect
from sqlalchemy.exc import DBAPIError

# A moment, with its time zone.
MOMENT = DateTime(timezone=True)


def side_table(name: str, *, key: Mapping[str, Any], required: Mapping[str, Any], optional: Mapping[str, Any] | None = None, indexes: Sequence[Index] = ()) -> Table:
    """The table ``name``: the ``key`` columns make its primary key, ``required`` ones are
    NOT NULL, ``optional`` ones may be null; each maps a column's name to its type."""
    columns = [Column(column, type_, primary_key=True) for column, type_ in key.items()]
    columns += [Column(column, type_, nullable=False) for column, type_ in required.items()]
    columns += [Column(column, type_) for column, type_ in (optional or {}).items()]
    return Table(name, MetaData(), *columns, *indexes)


def create_side_table(table: Table, engine: Engine) -> None:
    """Creates ``table`` if missing; two processes starting together may both try."""
    try:
        table.metadata.create_all(engine)
    except DBAPIError:
        if not inspect(engine).has_table(table.name):
            raise
