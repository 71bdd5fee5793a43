"""What an ordinary user finds in the directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Text, column, func, literal, literal_column, select, table

from projections.directory import FTS_COLUMNS, KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER
from projections.queries.directory_plan import generic_plans, plan
from projections.queries.common import EntryKind, QueryError, Reader, View, check_paging, dialect, directory
from projections.search_text import finds_nothing, query_words


TRIGRAM = 3  # the shortest fragment a trigram index can look up
FEW = 1500  # candidates sorted for a page; beyond, the name index is walked instead
WALK = 10000  # entries a walk of the name index reads before it sorts the candidates instead
WALK_POSTGRESQL = 3000  # there, before the trigram index finds the candidates


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
    words = query_words(text)
    if finds_nothing(text):
        return []
    sqlite = dialect(session) == "sqlite"
    long_words = [w for w in words if len(w) >= TRIGRAM]
    # SQLite counts candidates cheaply (row ids in the FTS index); PostgreSQL's trigram
    # index builds its whole bitmap before a limit applies, so a sample chooses there.
    if not sqlite:
        return _page_on_postgresql(session, words, long_words, kinds, limit, offset)
    few = _matching_in_fts(session, words, long_words, kinds, FEW) if long_words else None
    if few is None:
        # Many candidates (or no fragment a trigram index can look up): walk the
        # name index, which holds the text and kind too, until the page is full —
        # many matches fill it soon. Matches bunched in a few names far down the
        # order ("mit": Mitchell, Smith), or rare ones, may not: past a budget of
        # entries the walk gives up and every candidate is sorted after all.
        page = _walk(session, words, kinds, sqlite, limit, offset, WALK if long_words else None)
        if page is not None:
            return _entries(session, page)
        few = _matching_in_fts(session, words, long_words, kinds, None) or []
    # SQLite's text order is Python's, code point by code point: sorted here, only the page's rows read.
    return _entries(session, [i for _, i in sorted(few)[offset : offset + limit]])


def _page_on_postgresql(session: Reader, words: list[str], long_words: list[str], kinds: Sequence[str], limit: int, offset: int) -> list[DirectoryEntry]:
    """The page: the walk of the name index or the trigram index, whichever a sample
    of the entries says is cheaper (``directory_plan``); a walk that did not fill
    the page within its budget gives up for the trigram index. Each way is one
    statement yielding the page's rows."""
    way = plan(session, words, long_words, offset + limit, WALK_POSTGRESQL)
    if way.walk_first:
        page = _rows_in_order(session, _walk_query(words, kinds, False, way.budget), limit, offset)
        if way.budget is None or len(page) == limit:
            return page
    with generic_plans(session):
        return _rows_in_order(session, _trigram_query(words, long_words, kinds), limit, offset)


def _walk(session: Reader, words: list[str], kinds: Sequence[str], sqlite: bool, limit: int, offset: int, budget: int | None) -> list[str] | None:
    """The page's ids, walking the name index's first ``budget`` listed entries
    (``None``: all of them); ``None`` if they did not fill the page."""
    page = list(session.execute(_walk_query(words, kinds, sqlite, budget).limit(limit).offset(offset)).scalars())
    return page if budget is None or len(page) == limit else None


def _walk_query(words: list[str], kinds: Sequence[str], sqlite: bool, budget: int | None) -> Select[tuple[str, str]]:
    """The ids and sort names of the matches, walking the name index's first
    ``budget`` listed entries (``None``: all of them), in name order."""
    e = directory.entries.c
    if budget is None:
        query = select(e.id, e.sort_name.label("sort_key")).where(e.listed, *[_contains(e.search_text, w, sqlite) for w in words]).order_by(e.sort_name, e.id)
        if kinds:
            query = query.where(e.kind.in_(list(kinds)))
        return query
    # The budgeted walk yields rows in index order (a co-routine, a subquery scan),
    # which the outer query keeps: an outer ORDER BY would read the whole budget to sort it.
    walked = select(e.id, e.sort_name, e.kind, e.search_text).where(e.listed).order_by(e.sort_name, e.id).limit(budget).subquery()
    query = select(walked.c.id, walked.c.sort_name.label("sort_key")).where(*[_contains(walked.c.search_text, w, sqlite) for w in words])
    if kinds:
        query = query.where(walked.c.kind.in_(list(kinds)))
    return query


def _rows_in_order(session: Reader, page: Select[tuple[str, str]], limit: int, offset: int) -> list[DirectoryEntry]:
    """PostgreSQL: the entries of a page of (id, sort key) in that order, in the same statement."""
    e = directory.entries.c
    # The page's size in the text: planned for an unknown limit, the join read every entry.
    keys = page.limit(literal(limit, literal_execute=True)).offset(literal(offset, literal_execute=True)).subquery()
    query = select(directory.entries).join(keys, e.id == keys.c.id).order_by(keys.c.sort_key, keys.c.id)
    return [directory_entry(r) for r in session.execute(query).mappings()]


def _entries(session: Reader, page: list[str]) -> list[DirectoryEntry]:
    """The entries with these ids, in this order."""
    e = directory.entries.c
    rows = {r["id"]: r for r in session.execute(select(directory.entries).where(e.id.in_(page))).mappings()} if page else {}
    return [directory_entry(rows[i]) for i in page]


def _matching_in_fts(session: Reader, words: list[str], long_words: list[str], kinds: Sequence[str], cap: int | None) -> list[tuple[str, str]] | None:
    """SQLite: the (sort name, id) of every listed entry matching ``words``, if the
    FTS index has at most ``cap`` candidates for them (else ``None``), from the FTS
    table alone. Candidates have each long word's first and last trigram (no
    positions, which cost more than they save); only they are then read, a
    microsecond or two each, and checked on the text (issue 12)."""
    fts = table(directory.fts_name, column("rowid"), *[column(c, Text) for c in FTS_COLUMNS], column(directory.fts_name))
    trigrams = dict.fromkeys(t for w in long_words for t in (w[:TRIGRAM], w[-TRIGRAM:]))
    candidates = select(fts.c.rowid).where(fts.c[directory.fts_name].op("MATCH")(" AND ".join(f'"{t}"' for t in trigrams)))
    if cap is not None:
        candidates = candidates.limit(cap + 1)
        if len(session.execute(candidates).all()) > cap:
            return None
    query = select(fts.c.sort_name, fts.c.id).where(fts.c.rowid.in_(candidates), *[_contains(fts.c.search_text, w, True) for w in words])
    if kinds:
        query = query.where(fts.c.kind.in_(list(kinds)))
    return [(r[0], r[1]) for r in session.execute(query)]


def _trigram_query(words: list[str], long_words: list[str], kinds: Sequence[str]) -> Select[tuple[str, str]]:
    """PostgreSQL: the ids and sort names of the entries the trigram index finds
    through the long words, to be sorted (top-N) over an expression that keeps the
    planner off the name index. Only ids and sort names are sorted: whole rows made
    the sort a third slower."""
    e = directory.entries.c
    # The long words' LIKE is the whole check (words are letters and digits); only short words need theirs.
    short_words = [w for w in words if w not in long_words]
    query = select(e.id, (e.sort_name + "").label("sort_key")).where(
        e.listed, *[e.search_text.like(f"%{w}%") for w in long_words], *[_contains(e.search_text, w, False) for w in short_words]
    )
    if kinds:
        query = query.where(e.kind.in_(list(kinds)))
    return query.order_by(literal_column("sort_key"), e.id)


def _contains(text_column: ColumnElement[str], word: str, sqlite: bool) -> ColumnElement[bool]:
    """``word`` inside the text, over an expression no index holds. Words are
    letters and digits, the text folded to lower case: SQLite's case-sensitive
    ``GLOB`` says the same as ``LIKE``, a third quicker."""
    unindexed = text_column + ""
    # PostgreSQL: ``strpos`` rather than ``LIKE``, whose estimate (a few rows) turns the
    # planner from the name index to reading every row and sorting the matches.
    return unindexed.op("GLOB")(f"*{word}*") if sqlite else func.strpos(unindexed, word) > 0


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
