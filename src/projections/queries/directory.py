"""What an ordinary user finds in the directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, column, func, select, table

from projections.directory import KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER
from projections.queries.common import EntryKind, QueryError, Reader, View, check_paging, dialect, directory
from projections.search_text import finds_nothing, query_words


TRIGRAM = 3  # the shortest fragment a trigram index can look up
FEW = 5000  # matches sorted (top-N) for a page; beyond, the name index is walked instead


class DirectoryEntry(View):
    kind: EntryKind
    id: UUID
    name: str
    organisation_id: UUID
    organisation_name: str
    address: str
    addresses: tuple[str, ...]  # the address first, then aliases
    job_title: str | None
    telephone: str | None
    mobile: str | None
    department: str | None
    office_address: str | None


def search_directory(
    session: Reader, text: str = "", *, kinds: Sequence[str] = (), limit: int = 50, offset: int = 0
) -> list[DirectoryEntry]:
    """What an ordinary user finds, sorted by name: every word of ``text`` is
    found inside a word of the entry's name, organisation, address, job title,
    telephone or department (``"ara"`` finds Sarah; rule: ``search_text.found_in``).
    Ex-directory, deleted and purged users are never included."""
    check_paging(limit, offset)
    unknown = [k for k in kinds if k not in (KIND_USER, KIND_LIST, KIND_GROUP_MAILBOX)]
    if unknown:
        raise QueryError("kinds", f"{unknown[0]!r} is not one of {KIND_USER}, {KIND_LIST}, {KIND_GROUP_MAILBOX}")
    e = directory.entries.c
    words = query_words(text)
    if finds_nothing(text):
        return []
    # The words filter over an expression no index holds; which index drives is chosen below.
    unindexed = e.search_text + ""
    query = select(directory.entries).where(*[unindexed.like(f"%{w}%") for w in words])
    if kinds:
        query = query.where(e.kind.in_(list(kinds)))
    few = _few_matches(session, [w for w in words if len(w) >= TRIGRAM])
    if few is None:
        # Many matches (or no fragment a trigram index can look up): walk the name
        # index until the page is full — many matches fill it soon.
        order = (e.sort_name, e.id)
        query = query.where(e.listed)
    else:
        # Few: the trigram index finds them and only they are sorted (top-N); the
        # sort over an expression keeps the planners off the name index.
        order = (e.sort_name + "", e.id)
        query = query.where(few)
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).mappings()
    return [directory_entry(r) for r in rows]


def _few_matches(session: Reader, words: list[str]) -> ColumnElement[bool] | None:
    """A condition that lets the trigram index find the entries matching ``words``,
    if there are at most ``FEW`` of them (counted, capped, in the index); else
    ``None``. So a page never sorts more than ``FEW`` rows (issue 12)."""
    if not words:
        return None
    e = directory.entries.c
    if dialect(session) == "sqlite":
        fts = table(directory.fts_name, column("rowid"), column(directory.fts_name))
        match = " AND ".join(f'"{w}"' for w in words)
        found = select(fts.c.rowid).where(fts.c[directory.fts_name].op("MATCH")(match))
        condition: ColumnElement[bool] = e.seq.in_(found)  # the FTS table holds listed entries only
    else:
        condition = and_(e.listed, *[e.search_text.like(f"%{w}%") for w in words])
        found = select(e.seq).where(condition)
    count = session.execute(select(func.count()).select_from(found.limit(FEW + 1).subquery())).scalar_one()
    return condition if count <= FEW else None


def directory_entry(row: Any) -> DirectoryEntry:
    """A row of the directory's entries table as a user sees it."""
    details = row["details"] or {}
    return DirectoryEntry(
        kind=row["kind"],
        id=UUID(row["id"]),
        name=row["name"],
        organisation_id=UUID(row["organisation_id"]),
        organisation_name=row["organisation_name"],
        address=row["address"],
        addresses=(row["address"], *row["aliases"]),
        job_title=details.get("job_title"),
        telephone=details.get("telephone"),
        mobile=details.get("mobile"),
        department=details.get("department"),
        office_address=details.get("office_address"),
    )
