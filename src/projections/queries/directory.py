"""What an ordinary user finds in the directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, select

from projections.directory import KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER
from projections.queries.directory_plan import generic_plans, plan
from projections.queries.common import EntryKind, QueryError, Reader, View, check_paging, dialect, directory
from projections.queries.directory_fts import TRIGRAM, entries_in_order, page_in_name_order
from projections.search_text import finds_nothing, query_words


WALK_POSTGRESQL = 3000  # entries a walk of the name index reads before the trigram index finds the candidates


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
    if dialect(session) == "sqlite":
        # The FTS index in name order; a query of one-letter words only walks the name index.
        found = page_in_name_order(session, words, kinds, limit, offset)
        rows = found if found is not None else entries_in_order(session, _walk(session, words, kinds, True, limit, offset, None) or [])
        return [directory_entry(r) for r in rows]
    long_words = [w for w in words if len(w) >= TRIGRAM]
    # PostgreSQL's trigram index builds its whole bitmap before a limit applies, so a sample chooses.
    return _page_on_postgresql(session, words, long_words, kinds, limit, offset)


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
    """A row of the directory's entries table as a user sees it. Validated from a
    dict, ids as text: a third of the time of keywords and ``UUID(…)`` (50 a page)."""
    details = row["details"] or {}
    return DirectoryEntry.model_validate(
        {
            "kind": row["kind"],
            "id": row["id"],
            "name": row["name"],
            "organisation_id": row["organisation_id"],
            "organisation_name": row["organisation_name"],
            "address": row["address"],
            "addresses": (row["address"], *row["aliases"]),
            "job_title": details.get("job_title"),
            "telephone": details.get("telephone"),
            "mobile": details.get("mobile"),
            "department": details.get("department"),
            "office_address": details.get("office_address"),
        }
    )
