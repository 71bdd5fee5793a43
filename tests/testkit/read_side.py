"""Helpers for read-side tests: read what a query answers, and snapshot every read-model table."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sema.application import SemaApplication

# The read models this suite owns (the ledger and others have their own tests).
READ_SIDE = ("directory", "admin_search", "routing", "address_book", "grants")


def read(app: SemaApplication, query: Any, *args: Any, **kwargs: Any) -> Any:
    with Session(app.engine) as session:
        return query(session, *args, **kwargs)


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if isinstance(value, dict):
        return tuple(sorted((k, _normal(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return value
    return value


def snapshot(app: SemaApplication, names: tuple[str, ...] = READ_SIDE) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the named read models (and their FTS rows, or
    PostgreSQL's directory trigrams), in key order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    row_id = "rowid, " if app.engine.dialect.name == "sqlite" else ""
    with Session(app.engine) as session:
        for model in app.projections.by_name(names):
            for table in model.metadata.sorted_tables:
                rows = session.execute(select(table)).all()
                tables[table.name] = sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)
            for extra in model.extra_table_names():
                rows = session.execute(text(f"SELECT {row_id}* FROM {extra}")).all()
                tables[extra] = sorted((tuple(row) for row in rows), key=repr)
    return tables
