"""What an ordinary user finds in the directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, column, select, table

from projections.directory import FTS_COLUMNS, KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER
from projections.queries.common import EntryKind, QueryError, Reader, View, check_paging, dialect, directory
from projections.search_text import finds_nothing, query_words


TRIGRAM = 3  # the shortest fragment a trigram index can look up
FEW = 500  # candidates sorted for a page; beyond, the name index is walked instead


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
    # Every word filters (over an expression no index holds); which index drives is chosen below.
    sqlite = dialect(session) == "sqlite"
    filters = [_contains(e.search_text, w, sqlite) for w in words] + ([e.kind.in_(list(kinds))] if kinds else [])
    long_words = [w for w in words if len(w) >= TRIGRAM]
    few = (_few_in_fts(session, words, long_words, kinds) if sqlite else _few_by_trigrams(session, long_words, filters)) if long_words else None
    if few is None:
        # Many matches (or no fragment a trigram index can look up): walk the name
        # index, which holds the text and kind too, until the page is full — many
        # matches fill it soon, and no row is read until the page is known.
        found = select(e.id, e.sort_name).where(e.listed, *filters).order_by(e.sort_name, e.id).limit(limit).offset(offset).subquery()
        query = select(directory.entries).join(found, found.c.id == e.id).order_by(found.c.sort_name, found.c.id)
    elif sqlite:
        # Few, with their sort keys from the FTS table: sorted here (SQLite's text
        # order is Python's, code point by code point); only the page's rows are read.
        page = [i for _, i in sorted(few)[offset : offset + limit]]
        rows = {r["id"]: r for r in session.execute(select(directory.entries).where(e.id.in_(page))).mappings()}
        return [directory_entry(rows[i]) for i in page]
    else:
        # Few: only they are sorted (top-N), over an expression so the planner keeps off the name index.
        query = select(directory.entries).where(e.id.in_([i for _, i in few])).order_by(e.sort_name + "", e.id).limit(limit).offset(offset)
    return [directory_entry(r) for r in session.execute(query).mappings()]


def _few_in_fts(session: Reader, words: list[str], long_words: list[str], kinds: Sequence[str]) -> list[tuple[str, str]] | None:
    """SQLite: the (sort name, id) of every listed entry matching ``words``, if the
    FTS index has at most ``FEW`` candidates for them (else ``None``), from the FTS
    table alone. Candidates have each long word's first and last trigram (no
    positions, which cost more than they save); only they are then read, a few
    microseconds each, and checked on the text (issue 12)."""
    fts = table(directory.fts_name, column("rowid"), *[column(c, Text) for c in FTS_COLUMNS], column(directory.fts_name))
    trigrams = dict.fromkeys(t for w in long_words for t in (w[:TRIGRAM], w[-TRIGRAM:]))
    candidates = select(fts.c.rowid).where(fts.c[directory.fts_name].op("MATCH")(" AND ".join(f'"{t}"' for t in trigrams))).limit(FEW + 1)
    if len(session.execute(candidates).all()) > FEW:
        return None
    query = select(fts.c.sort_name, fts.c.id).where(fts.c.rowid.in_(candidates), *[_contains(fts.c.search_text, w, True) for w in words])
    if kinds:
        query = query.where(fts.c.kind.in_(list(kinds)))
    return [(r[0], r[1]) for r in session.execute(query)]


def _few_by_trigrams(session: Reader, long_words: list[str], filters: list[ColumnElement[bool]]) -> list[tuple[str, str]] | None:
    """PostgreSQL: the listed entries matching, if at most ``FEW`` (else ``None``),
    found by the trigram index through the long words."""
    e = directory.entries.c
    query = select(e.sort_name, e.id).where(e.listed, *[e.search_text.like(f"%{w}%") for w in long_words], *filters)
    found = [(r[0], r[1]) for r in session.execute(query.limit(FEW + 1))]
    return found if len(found) <= FEW else None


def _contains(text_column: ColumnElement[str], word: str, sqlite: bool) -> ColumnElement[bool]:
    """``word`` inside the text, over an expression no index holds. Words are
    letters and digits, the text folded to lower case: SQLite's case-sensitive
    ``GLOB`` says the same as ``LIKE``, a third quicker."""
    unindexed = text_column + ""
    return unindexed.op("GLOB")(f"*{word}*") if sqlite else unindexed.like(f"%{word}%")


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
