"""What an ordinary user finds in the directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import column, select, table

from projections.directory import KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER
from projections.queries.common import EntryKind, QueryError, Reader, View, check_paging, dialect, directory
from projections.search_text import finds_nothing, query_words


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
    """What an ordinary user finds: every word of ``text`` starts a word of
    the entry's name, organisation, address, job title, telephone or department.
    Ex-directory, deleted and purged users are never included."""
    check_paging(limit, offset)
    unknown = [k for k in kinds if k not in (KIND_USER, KIND_LIST, KIND_GROUP_MAILBOX)]
    if unknown:
        raise QueryError("kinds", f"{unknown[0]!r} is not one of {KIND_USER}, {KIND_LIST}, {KIND_GROUP_MAILBOX}")
    e = directory.entries.c
    words = query_words(text)
    if finds_nothing(text):
        return []
    if not words:
        query = select(directory.entries).where(e.listed)
    elif dialect(session) == "sqlite":
        # The FTS table holds listed entries only; let it drive, so the text narrows first.
        fts = table(directory.fts_name, column("rowid"), column(directory.fts_name))
        match = " ".join(f'"{w}"*' for w in words)
        query = (
            select(directory.entries)
            .select_from(fts.join(directory.entries, e.seq == fts.c.rowid))
            .where(fts.c[directory.fts_name].op("MATCH")(match))
        )
    else:
        query = select(directory.entries).where(e.listed, *[e.search_text.like(f"% {w}%") for w in words])
    if kinds:
        query = query.where(e.kind.in_(list(kinds)))
    rows = session.execute(query.order_by(e.sort_name, e.id).limit(limit).offset(offset)).mappings()
    return [directory_entry(r) for r in rows]


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
