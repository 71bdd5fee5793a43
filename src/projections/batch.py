"""The change buffer every handler writes and reads through, one per batch of events.

A handler says what changes, row by row: insert this row, update the rows
with this key, delete the rows with this key. The buffer keeps those writes
in order, and sends them in as few statements as it may: a write joins an
earlier group of writes of the same shape (same table, same columns) when it
is *independent* of every write queued after that group — when no row could
be touched by both, so their order cannot matter — and each group goes out as
one ``executemany``. Before a read, the writes queued up to the last one on
the tables it reads go out, so a handler always sees what the earlier events
of the batch did. That is the whole contract: a batch of events leaves the
same rows as the same events applied one statement at a time.

Independence is decided from what a write names, never from what the
database holds, and when in doubt writes are dependent:

- two inserts, or two deletes, are independent (either order, the same rows
  or the same error);
- a write that sets a column of a unique constraint (primary key, unique
  column or index) is dependent on every other write to its table;
- an insert and a keyed write are independent when the row cannot match the
  key (a key column with a plainly different value) and, if the keyed write
  deletes, when the row cannot collide with a row it removes (the key names
  every column of each unique constraint, one with a plainly different value);
- two keyed writes are independent when a key column that neither sets has
  plainly different values.

"Plainly different" means two ``str`` or ``int`` values that differ (UUIDs in
keys are written as text first); anything else counts as possibly equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Column, Index, Table, UniqueConstraint, and_, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.visitors import iterate

from projections import direct
from projections.tables import text_id


INSERT, UPDATE, DELETE = "insert", "update", "delete"
# How far back a write looks for a group to join: a bound on the work per write.
LOOK_BACK = 32
# Keys per ``IN`` list, well inside both stores' limits on parameters.
IN_CHUNK = 1000
Row = Mapping[str, Any]  # a row read, by column name
_ANY = object()  # a group index entry: some value in this column is not plainly comparable
_NONE: frozenset[str] = frozenset()


def _comparable(value: Any) -> bool:
    return type(value) is str or type(value) is int


def unique_column_sets(table: Table) -> tuple[frozenset[str], ...]:
    """The column sets no two rows of ``table`` may share: primary key, unique
    constraints and indexes (found once per table, kept in its ``info``)."""
    found: tuple[frozenset[str], ...] | None = table.info.get("sema_unique_column_sets")
    if found is None:
        sets = [frozenset(c.name for c in table.primary_key.columns)]
        sets += [frozenset(c.name for c in u.columns) for u in table.constraints if isinstance(u, UniqueConstraint)]
        sets += [frozenset(c.name for c in i.columns) for i in table.indexes if isinstance(i, Index) and i.unique]
        found = table.info["sema_unique_column_sets"] = tuple(s for s in sets if s)
    return found


@dataclass(eq=False, slots=True)
class _Group:
    """Writes of one shape, in the order they were made; sent as one statement."""

    kind: str
    table: Table
    where: tuple[str, ...]  # key columns (update, delete)
    changes: frozenset[str]  # columns an update sets
    shape: tuple[Any, ...]
    unique: tuple[frozenset[str], ...]
    changes_unique: bool = False
    keys: list[dict[str, Any]] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)
    index: dict[str, set[Any]] = field(default_factory=dict)
    # The rules against this group, per shape of a new write (see :func:`independent`).
    clauses: dict[tuple[Any, ...], tuple[tuple[str, ...], ...] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes_unique = any(s & self.changes for s in self.unique)

    def add(self, key: dict[str, Any], values: dict[str, Any]) -> None:
        self.keys.append(key)
        self.values.append(values)
        if self.index:
            named = values if self.kind == INSERT else key
            for column, seen in self.index.items():
                value = named.get(column, _ANY)
                seen.add(value if type(value) is str or type(value) is int else _ANY)


def _note(seen: set[Any], value: Any) -> None:
    seen.add(value if _comparable(value) else _ANY)


def independent(group: _Group, kind: str, table: Table, key: dict[str, Any], values: dict[str, Any], shape: tuple[Any, ...]) -> bool:
    """Whether a new write and every write of ``group`` leave the same rows in
    either order (see the module's rules); ``shape``: the new write's shape.
    What the rules ask of the write's values is found once per group and shape
    (:func:`_clauses`): this runs for most writes of a batch (420,000 times in a
    rebuild at 20,000 users), so only the look-ups of values run per write."""
    if group.table is not table:
        return True
    try:
        clauses = group.clauses[shape]
    except KeyError:
        clauses = group.clauses[shape] = _clauses(group, kind, tuple(key), frozenset(values) if kind == UPDATE else _NONE)
    if clauses is None:
        return False
    named = values if kind == INSERT else key
    for clause in clauses:
        for column in clause:
            value = named.get(column, _ANY)
            if type(value) is not str and type(value) is not int:
                continue  # possibly equal
            seen = group.index.get(column)
            if seen is None:
                seen = group.index[column] = set()
                for written in group.values if group.kind == INSERT else group.keys:
                    _note(seen, written.get(column, _ANY))
            if _ANY not in seen and value not in seen:
                break  # plainly different from every write of the group: this clause holds
        else:
            return False
    return True


def _clauses(group: _Group, kind: str, key: tuple[str, ...], changes: frozenset[str]) -> tuple[tuple[str, ...], ...] | None:
    """The module's rules for a new write of this kind, key columns and changes
    (the columns an update sets) against ``group``, as clauses over the new
    write's values (its row for an insert, its key otherwise): independent when,
    in each clause, some column's value is plainly different from that column's
    in every write of the group. ``None``: dependent whatever the values;
    ``()``: independent."""
    if group.kind == kind != UPDATE:
        return ()
    if group.changes_unique:
        return None
    for unique in group.unique:
        if not unique.isdisjoint(changes):
            return None
    if INSERT not in (kind, group.kind):
        found = tuple(c for c in key if c in group.where and c not in changes and c not in group.changes)
        return (found,) if found else None
    # An insert against keyed writes: the key columns are the keyed side's.
    keyed = group.where if kind == INSERT else key
    if DELETE in (kind, group.kind):
        clauses = []
        for unique in group.unique:
            if not unique.issubset(keyed):
                return None
            clauses.append(tuple(sorted(unique)))
        return tuple(clauses)
    return (tuple(keyed),) if keyed else None


class Batch:
    """Writes buffered and coalesced, reads that see them: what a handler gets.

    ``position`` and ``notification`` are the event being applied (its
    notification id, and the stored record it was read from). Rows and values
    are taken as given: plain values (ids as text), fresh dicts."""

    def __init__(self, session: Session) -> None:
        self._connection: Connection = direct.connection_of(session)
        self.position = 0
        self.notification: Notification | None = None
        self._groups: list[_Group] = []
        # The queued groups by shape (the latest of each) and by table, in order.
        self._by_shape: dict[tuple[Any, ...], _Group] = {}
        self._by_table: dict[Table, list[_Group]] = {}
        self._rows: dict[Table, dict[tuple[Any, ...], tuple[Row, ...]]] = {}
        self._inserted: dict[Table, list[dict[str, Any]]] = {}
        self._keyed: dict[Table, list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ writes

    def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        values = dict(row)
        self._queue(INSERT, table, {}, values, (INSERT, table, tuple(values)))

    def update(self, table: Table, where: Mapping[str, Any], **values: Any) -> None:
        """Sets ``values`` on the rows matching ``where`` (column = value for each).
        A value may be a SQL expression over the same row's columns (it sees the
        row before this update); keep the expression object to reuse it, so like
        updates share one statement."""
        key = self._key(where)
        shape = tuple([(k, id(v)) if isinstance(v, ClauseElement) else k for k, v in values.items()])
        self._queue(UPDATE, table, key, values, (UPDATE, table, tuple(key), shape))

    def delete(self, table: Table, **where: Any) -> None:
        key = self._key(where)
        self._queue(DELETE, table, key, {}, (DELETE, table, tuple(key)))

    def _key(self, where: Mapping[str, Any]) -> dict[str, Any]:
        key = {k: text_id(v) if v.__class__ is UUID else v for k, v in where.items()}
        if not key or None in key.values():
            raise ValueError(f"a key needs columns with values, not {dict(where)!r}")
        return key

    def _queue(self, kind: str, table: Table, key: dict[str, Any], values: dict[str, Any], shape: tuple[Any, ...]) -> None:
        if self._rows:
            self._rows.pop(table, None)
        written = self._inserted if kind == INSERT else self._keyed
        named = written.get(table)
        if named is None:
            named = written[table] = []
        named.append(values if kind == INSERT else key)
        groups = self._groups
        if groups and groups[-1].shape == shape:
            groups[-1].add(key, values)
            return
        # The latest group of this shape, if every write queued after it is
        # independent of this one (only writes to the same table can touch its rows).
        candidate = self._by_shape.get(shape)
        if candidate is not None:
            for looked, group in enumerate(reversed(self._by_table[table])):
                if group is candidate:
                    candidate.add(key, values)
                    return
                if looked == LOOK_BACK or not independent(group, kind, table, key, values, shape):
                    break
        group = _Group(kind, table, tuple(key), frozenset(values) if kind == UPDATE else _NONE, shape, unique_column_sets(table))
        group.add(key, values)
        groups.append(group)
        self._by_shape[shape] = group
        self._by_table.setdefault(table, []).append(group)

    def inserted(self, table: Table) -> list[dict[str, Any]]:
        """The rows this batch inserted in ``table``."""
        return list(self._inserted.get(table, ()))

    def keyed(self, table: Table, column: str) -> set[Any]:
        """The values in ``column`` of the keys of every update and delete this
        batch made in ``table`` (each must name the column in its key)."""
        found = set()
        for key in self._keyed.get(table, ()):
            if column not in key:
                raise ValueError(f"{table.name}: a write's key names no {column} ({key!r})")
            found.add(key[column])
        return found

    def execute(self, statement: Executable, params: list[dict[str, Any]] | None = None) -> None:
        """Any other statement made once (kept, see :mod:`projections.direct`), e.g. upkeep
        of an index the handlers never read: every queued write goes out first, then the statement, at once."""
        self.flush()
        direct.run(self._connection, statement, params)

    # ------------------------------------------------------------------- reads

    def get(self, table: Table, **key: Any) -> Row | None:
        """The row with this key (at most one), as the earlier events left it."""
        found = self._read(table, key, many=False)
        return found[0] if found else None

    def one(self, table: Table, **key: Any) -> Row:
        """Like :meth:`get`, for a row the history guarantees."""
        found = self._read(table, key, many=False)
        if not found:
            raise LookupError(f"{table.name}: no row with {key}")
        return found[0]

    def rows(self, table: Table, **key: Any) -> list[Row]:
        """Every row matching ``key``, in primary-key order."""
        return list(self._read(table, key, many=True))

    def _read(self, table: Table, key: Mapping[str, Any], many: bool) -> tuple[Row, ...]:
        # Cached until the next write to the table, which drops the table's entries.
        plain = self._key(key)
        cache = self._rows.setdefault(table, {})
        cache_key = (many, *plain.items())
        found = cache.get(cache_key)
        if found is None:
            self._flush_through(table)
            result = direct.rows(self._connection, _statement(_read_statement, table, tuple(plain), many), plain)
            if not many and len(result) > 1:
                raise MultipleResultsFound(f"{table.name}: more than one row with {dict(key)}")
            found = cache[cache_key] = tuple(result)
        return found

    def select(self, statement: Executable, params: dict[str, Any] | None = None) -> list[Row]:
        """Any query made once (kept, see :mod:`projections.direct`): every queued write goes out first."""
        self.flush()
        return direct.rows(self._connection, statement, params)

    # ------------------------------------------------------------------- flush

    def flush(self) -> None:
        self._send(len(self._groups))

    def _flush_through(self, table: Table) -> None:
        queued = self._by_table.get(table)
        if queued:
            self._send(self._groups.index(queued[-1]) + 1)

    def _send(self, count: int) -> None:
        sending, self._groups = self._groups[:count], self._groups[count:]
        self._by_shape, self._by_table = {}, {}
        for group in self._groups:
            self._by_shape[group.shape] = group
            self._by_table.setdefault(group.table, []).append(group)
        for group in sending:
            self._execute(group)

    def _execute(self, group: _Group) -> None:
        table, execute = group.table, self._connection.execute
        if group.kind == INSERT:
            direct.run(self._connection, _statement(_insert_statement, table), group.values)
            return
        first = group.values[0]
        literal = [k for k, v in first.items() if not isinstance(v, ClauseElement)]
        expressions = len(literal) < len(first)
        if _once_per_key(group, literal):
            # One statement for many keys: the same change, and making it twice changes nothing more.
            (column,) = group.where
            keys = list(dict.fromkeys(key[column] for key in group.keys))
            values: dict[str, Any] = {}
            if group.kind == DELETE:
                statement = _statement(_delete_in_statement, table, column)
            elif expressions:
                statement = update(table).where(table.c[column].in_(bindparam("keys", expanding=True))).values(first)
            else:
                statement = _statement(_update_in_statement, table, column, tuple(literal))
                values = {f"set_{k}": first[k] for k in literal}
            for start in range(0, len(keys), IN_CHUNK):
                execute(statement, {"keys": keys[start : start + IN_CHUNK], **values})
            return
        params = [{f"key_{k}": v for k, v in key.items()} for key in group.keys]
        if group.kind == DELETE:
            direct.run(self._connection, _statement(_keyed_statement, table, group.where, ()), params)
            return
        for row, values in zip(params, group.values):
            row.update({f"set_{k}": values[k] for k in literal})
        if expressions:
            condition = and_(*[table.c[k] == bindparam(f"key_{k}") for k in group.where])
            statement = update(table).where(condition).values({k: bindparam(f"set_{k}") if k in literal else v for k, v in first.items()})
            execute(statement, params)
        else:
            direct.run(self._connection, _statement(_keyed_statement, table, group.where, tuple(literal)), params)


def _statement(make: Any, table: Table, *shape: Any) -> Any:
    """The statement ``make(table, *shape)``, made once and kept with the table
    (SQLAlchemy then finds its compiled form at once): building one per write
    cost more than SQLite took to run it (issue 12's profile of a one-user
    command). Updates with SQL expressions among their values are built each
    time: their expressions are the caller's."""
    statements = table.info.setdefault("sema_statements", {})
    key = (make, *shape)
    found = statements.get(key)
    if found is None:
        found = statements[key] = make(table, *shape)
    return found


def _read_statement(table: Table, columns: tuple[str, ...], many: bool) -> Executable:
    statement = select(table).where(*[table.c[k] == bindparam(k) for k in columns])
    return statement.order_by(*table.primary_key.columns) if many else statement


def _insert_statement(table: Table) -> Executable:
    return table.insert()


def _delete_in_statement(table: Table, column: str) -> Executable:
    return table.delete().where(table.c[column].in_(bindparam("keys", expanding=True)))


def _update_in_statement(table: Table, column: str, setting: tuple[str, ...]) -> Executable:
    return update(table).where(table.c[column].in_(bindparam("keys", expanding=True))).values({k: bindparam(f"set_{k}") for k in setting})


def _keyed_statement(table: Table, where: tuple[str, ...], setting: tuple[str, ...]) -> Executable:
    """A delete (no ``setting``) or an update of the rows whose ``where`` columns equal ``key_…`` parameters."""
    condition = and_(*[table.c[k] == bindparam(f"key_{k}") for k in where])
    if not setting:
        return table.delete().where(condition)
    return update(table).where(condition).values({k: bindparam(f"set_{k}") for k in setting})


def _once_per_key(group: _Group, literal: list[str]) -> bool:
    """A keyed group that one ``IN`` statement may stand for: a one-column key,
    the same literal values throughout, and expressions that read no column the
    update sets (so applying it again to a row changes nothing)."""
    if len(group.where) != 1 or len(group.keys) == 1:
        return False
    if group.kind == DELETE:
        return True
    first = group.values[0]
    if any(values[k] != first[k] for values in group.values for k in literal):
        return False
    read = {c.name for v in first.values() if isinstance(v, ClauseElement) for c in iterate(v) if isinstance(c, Column) and c.table is group.table}
    return not read & group.changes
