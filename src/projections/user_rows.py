"""How a user's row follows the user's events, for the read models that keep a
copy of the user (directory, admin search, routing): status flags with the
columns derived from them, and the edits of details, names and addresses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Column, Table, literal
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.visitors import iterate, replacement_traverse

from domain.user import User
from projections.batch import Batch


# What the status events set on the flags most copies of a user keep.
SUSPENSION: dict[type, dict[str, Any]] = {User.Suspended: {"suspended": True}, User.Unsuspended: {"suspended": False}}
DELETION: dict[type, dict[str, Any]] = {User.Deleted: {"deleted": True}, User.Undeleted: {"deleted": False}}
LOCKING: dict[type, dict[str, Any]] = {User.Locked: {"locked": True}, User.Unlocked: {"locked": False}}
EX_DIRECTORY: dict[type, dict[str, Any]] = {User.MarkedExDirectory: {"ex_directory": True}, User.UnmarkedExDirectory: {"ex_directory": False}}


def set_flags(batch: Batch, users: Table, event: Any, flags: Mapping[str, Any], **derived: ColumnElement[Any]) -> None:
    """Sets the event's flags on the user's row, then the columns derived from
    them (SQL over the row, e.g. a status), which must see the new flags."""
    where = {"id": event.originator_id}
    try:
        merged = _merged_rules(users, tuple(flags.items()), tuple(derived.items()))
    except TypeError:  # a value that cannot key a cache (not hashable)
        merged = None
    if merged is not None:
        batch.update(users, where, **flags, **merged)  # one statement where there were two
        return
    batch.update(users, where, **flags)
    batch.update(users, where, **derived)


@functools.lru_cache(maxsize=1024)
def _merged_rules(users: Table, flags: tuple[tuple[str, Any], ...], derived: tuple[tuple[str, ColumnElement[Any]], ...]) -> dict[str, ColumnElement[Any]] | None:
    """Each derived rule over the flags' new values (:func:`_with_new_values`), or
    ``None`` if one cannot be; kept for like events (a rebuild sets flags tens of
    thousands of times with a handful of different values). Only rules are
    kept, never the flags' values, which the caller passes as given."""
    values = dict(flags)
    merged = {name: _with_new_values(rule, users, values) for name, rule in derived}
    return merged if all(rule is not None for rule in merged.values()) else None


# (id of a rule, the flags it reads) -> (the rule, kept so its id stays its own; the rule over those values)
_rules_with_values: dict[tuple[Any, ...], tuple[ColumnElement[Any], ColumnElement[Any]]] = {}


# (id of a rule, id of its table) -> (the rule and table, kept so their ids stay theirs; the names of the columns it reads, sorted)
_reads: dict[tuple[int, int], tuple[tuple[ColumnElement[Any], Table], tuple[str, ...]]] = {}


def _columns_read(rule: ColumnElement[Any], users: Table) -> tuple[str, ...]:
    """The columns of ``users`` that ``rule`` reads: walked once per rule (a
    rebuild asks for every status event, and the walk cost more than the SQL)."""
    found = _reads.get((id(rule), id(users)))
    if found is None:
        names = tuple(sorted({c.name for c in iterate(rule) if isinstance(c, Column) and c.table is users}))
        found = _reads[(id(rule), id(users))] = ((rule, users), names)
    return found[1]


def _with_new_values(rule: ColumnElement[Any], users: Table, flags: Mapping[str, Any]) -> ColumnElement[Any] | None:
    """``rule`` with the columns ``flags`` sets replaced by their new values, so a
    single update sets both and the rule still sees the new flags (SQL's SET
    reads the row as it was). Made once per rule and values, so like updates
    share a statement; ``None`` when a value cannot key that (not hashable)."""
    used = tuple((k, flags[k]) for k in _columns_read(rule, users) if k in flags)
    key = (id(rule), used)
    try:
        found = _rules_with_values.get(key)
    except TypeError:
        return None
    if found is None:
        values = dict(used)

        def replace(element: Any) -> Any:
            if isinstance(element, Column) and element.table is users and element.name in values:
                return literal(values[element.name], element.type)
            return None

        found = _rules_with_values[key] = (rule, replacement_traverse(rule, {}, replace))
    return found[1]


def apply_details(values: dict[str, Any], event: User.DirectoryDetailsChanged) -> None:
    """Set details are written, emptied ones removed (as the aggregate does)."""
    for field, value in event.details.items():
        if value:
            values["details"][field] = value
        else:
            values["details"].pop(field, None)


def apply_address_change(values: dict[str, Any], event: User.SecureAddressChanged) -> None:
    """The old address becomes an alias; the new one stops being one."""
    values["aliases"].append(event.old_address)
    if event.new_address in values["aliases"]:
        values["aliases"].remove(event.new_address)
    values["address"] = event.new_address
    if "original_address" in values:
        values["original_address"] = event.original_address


def _change_first_name(values: dict[str, Any], event: User.FirstNameChanged) -> None:
    values["first_name"] = event.first_name


def _change_last_name(values: dict[str, Any], event: User.LastNameChanged) -> None:
    values["last_name"] = event.last_name


def _remove_alias(values: dict[str, Any], event: User.AliasRemoved) -> None:
    values["aliases"].remove(event.address)


# The events that edit a user's row, and how.
ROW_EDITS: dict[type, Callable[[dict[str, Any], Any], None]] = {
    User.DirectoryDetailsChanged: apply_details,
    User.FirstNameChanged: _change_first_name,
    User.LastNameChanged: _change_last_name,
    User.SecureAddressChanged: apply_address_change,
    User.AliasRemoved: _remove_alias,
}


def edited(row: Mapping[str, Any], event: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The row's ``fields``, aliases and details after ``event``: copies, so the row read stays as read."""
    values = {field: row[field] for field in fields}
    values["aliases"] = list(row["aliases"])
    values["details"] = dict(row["details"])
    ROW_EDITS[type(event)](values, event)
    return values


def changes(row: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``values`` that differ from ``row``'s: what an update of an edited row
    sets. SQLite rewrites an index entry for every indexed column an update sets,
    changed or not (a details change rewrote the users' sort-name index and
    dirtied its page; issue 12's sixth profile), and fewer columns are fewer
    parameters to process."""
    return {k: v for k, v in values.items() if row[k] != v}
