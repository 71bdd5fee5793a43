"""Read-model tables, declared once in the class body.

``users = table("sema_routing_users", key("id"), required("address", ADDRESS), …)``
declares a table; each instance of the read model gets its own copy, named
with the instance's suffix (``__rebuild`` for a shadow, ``__check`` for an
audit's scratch copy) and its indexes renamed alike, so the class reads as the
schema of the live tables.
"""

from __future__ import annotations

import functools
from typing import Any, overload
from uuid import UUID

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

ID = String(36)  # aggregate ids, as text
ADDRESS = String(320)  # email addresses
# A whole-number key: on SQLite the table's own row id (only a column typed exactly
# INTEGER is that), so the rows are one b-tree rather than a table and an index of the
# key beside it; a row written is one page fewer in the commit. BIGINT elsewhere.
ROW_KEY = BigInteger().with_variant(Integer(), "sqlite")


@functools.lru_cache(maxsize=1 << 14)
def text_id(value: UUID) -> str:
    """An aggregate id as the rows keep it (``str``), remembered: a bulk add of 500
    made 25,000 such texts of 2,500 ids, 1.45 µs each (5% of its instructions,
    issue 12)."""
    return str(value)


def key(name: str, type_: TypeEngine[Any] | type[TypeEngine[Any]] = ID) -> Column[Any]:
    """A primary-key column; values always come from the events, never from the database."""
    return Column(name, type_, primary_key=True, autoincrement=False)


def required(name: str, type_: TypeEngine[Any] | type[TypeEngine[Any]] = ID, **kwargs: Any) -> Column[Any]:
    return Column(name, type_, nullable=False, **kwargs)


def optional(name: str, type_: TypeEngine[Any] | type[TypeEngine[Any]] = ID) -> Column[Any]:
    return Column(name, type_, nullable=True)


class TableSpec:
    """A table in a read model's class body; :meth:`build` makes an instance's copy."""

    def __init__(self, name: str, *items: SchemaItem) -> None:
        self.template = Table(name, MetaData(), *items)

    def build(self, metadata: MetaData, suffix: str) -> Table:
        copy = self.template.to_metadata(metadata, name=f"{self.template.name}{suffix}")
        for index in copy.indexes:
            index.name = f"{index.name}{suffix}"
        return copy

    @overload
    def __get__(self, instance: None, owner: type) -> TableSpec: ...
    @overload
    def __get__(self, instance: object, owner: type) -> Table: ...
    def __get__(self, instance: object | None, owner: type) -> TableSpec | Table:
        # Instances hold their own copy under the same name, which Python finds first.
        if instance is None:
            return self
        raise AttributeError(f"{self.template.name}: the read model was not initialised")


def table(name: str, *items: SchemaItem) -> TableSpec:
    """Declares a read-model table: on an instance, the attribute is its ``Table``."""
    return TableSpec(name, *items)
