"""What an ordinary user finds in the directory."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Select, Text, cast, func, literal, literal_column, select, text as sql_text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from projections.directory import KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER
from projections.queries.directory_plan import plan
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
    """The page: the walk of the name index, a trigram's list in name order or the
    trigram index, whichever a sample of the entries says is cheaper
    (``directory_plan``); a walk or list that did not fill the page within its
    budget gives up for the trigram index (a pair's list, with no long word, for
    the whole walk). Each way is one statement yielding
    the page as JSON."""
    way = plan(session, words, long_words, offset + limit, WALK_POSTGRESQL)
    if way.walk_first:
        page = _rows_in_order(session, _walk_query(words, kinds, False, way.budget), limit, offset)
        if way.budget is None or len(page) == limit:
            return page
    elif way.trigram is not None and way.budget is not None:
        page = _ordered_trigram_page(session, way.trigram, way.budget, words, kinds, limit, offset)
        if page is not None:
            return page
    if not long_words:  # a pair's list given up: the whole walk
        return _rows_in_order(session, _walk_query(words, kinds, False, None), limit, offset)
    return _trigram_index_page(session, words, list(way.indexed) or long_words, kinds, limit, offset)


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
    shown = select(_shown(directory.entries.name).label("entry"), keys.c.sort_key, keys.c.id).join_from(directory.entries, keys, e.id == keys.c.id).subquery()
    as_json = func.coalesce(func.json_agg(aggregate_order_by(shown.c.entry, shown.c.sort_key, shown.c.id)), sql_text("'[]'"))
    return _entries_from_json(session.execute(select(cast(as_json, Text))).scalar_one())


# What a user sees of an entry, made by the database as JSON: a page is one value, parsed and
# validated at once by pydantic (a row's JSON columns decoded and a model validated from each
# row's dict cost 1-3 ms a page of 50; issue 12).
_SHOWN = (
    "json_build_object('kind', {e}.kind, 'id', {e}.id, 'name', {e}.name, 'organisation_id', {e}.organisation_id, "
    "'organisation_name', {e}.organisation_name, 'address', {e}.address, "
    "'addresses', jsonb_build_array({e}.address) || {e}.aliases::jsonb, "
    "'job_title', {e}.details->>'job_title', 'telephone', {e}.details->>'telephone', 'mobile', {e}.details->>'mobile', "
    "'department', {e}.details->>'department', 'office_address', {e}.details->>'office_address')"
)
_PAGE = TypeAdapter(list[DirectoryEntry])


def _shown(table: str) -> ColumnElement[Any]:
    return literal_column(_SHOWN.format(e=table))


def _entries_from_json(page: str) -> list[DirectoryEntry]:
    return _PAGE.validate_json(page)


def _ordered_trigram_page(
    session: Reader, trigram: str, budget: int, words: list[str], kinds: Sequence[str], limit: int, offset: int
) -> list[DirectoryEntry] | None:
    """PostgreSQL: the page from the first ``budget`` entries of the trigram's
    or pair's list in name order (``directory_trigrams``, ADR 53, 54), every word checked on the text;
    ``None`` if they did not fill the page and the list went on. Run on the driver's
    connection, its text made once per shape (SQLAlchemy's statement handling cost
    more than the statement here) and prepared at its first run: psycopg prepares a
    statement at its fifth, and planning it each time cost a first pass through the
    benchmark's queries a sixth of its time (issue 12, ADR 60)."""
    driver = _driver(session)
    found = _entries_from_json(driver.execute(_ordered_statement(len(words), bool(kinds), budget, limit, offset), [trigram, *words, *([list(kinds)] if kinds else [])], prepare=True).fetchone()[0])
    if len(found) == limit:
        return found
    beyond = driver.execute(_beyond_statement(budget), [trigram], prepare=True).fetchone()
    return None if beyond is not None else found


@functools.lru_cache(maxsize=256)
def _ordered_statement(words: int, kinds: bool, budget: int, limit: int, offset: int) -> str:
    # The list's rows come in index order (sort name, seq) into a nested loop, which an
    # incremental sort by (sort name, id) keeps: the statement stops at the page. The entry
    # of each row is looked up in a subquery the planner may not flatten (OFFSET 0): joined,
    # a list estimated at thousands of rows was hashed against a scan of every entry
    # (an address's list of 117 rows: 80 ms instead of 1; ADR 54).
    checks = "".join(" AND strpos(e.search_text || '', %s) > 0" for _ in range(words)) + (" AND e.kind = ANY(%s)" if kinds else "")
    return (
        f"SELECT coalesce(json_agg(p.entry ORDER BY p.sort_name, p.id), '[]')::text FROM ("
        f"SELECT e.entry, t.sort_name, e.id FROM ("
        f"SELECT seq, sort_name FROM {directory.trigrams.name} WHERE trigram = %s ORDER BY sort_name, seq LIMIT {budget:d}) t, "
        f"LATERAL (SELECT {_SHOWN.format(e='e')} AS entry, e.id FROM {directory.entries.name} e WHERE e.seq = t.seq{checks} OFFSET 0) e "
        f"ORDER BY t.sort_name, e.id LIMIT {limit:d} OFFSET {offset:d}) p"
    )


@functools.lru_cache(maxsize=64)
def _beyond_statement(budget: int) -> str:
    return f"SELECT 1 FROM {directory.trigrams.name} WHERE trigram = %s ORDER BY sort_name, seq OFFSET {budget:d} LIMIT 1"


def _trigram_index_page(session: Reader, words: list[str], indexed: list[str], kinds: Sequence[str], limit: int, offset: int) -> list[DirectoryEntry]:
    """PostgreSQL: the page from the entries the trigram index finds through the
    ``indexed`` long words (the other words checked on each candidate, ADR 60), sorted
    (top-N) over an expression that keeps the planner off the name index, only ids and
    sort names. Its generic plan: planning it for its very patterns took 1.3-6 ms,
    longer than running it (ADR 48); the setting, the page and the setting put back go
    in one round trip (a pipeline), on the driver's connection."""
    driver = _driver(session)
    checked = [w for w in words if w not in indexed]
    params = [*[f"%{w}%" for w in indexed], *checked, *([list(kinds)] if kinds else [])]
    with driver.pipeline():
        driver.execute(_GENERIC_PLANS)
        found = driver.execute(_trigram_index_statement(len(indexed), len(checked), bool(kinds), limit, offset), params, prepare=True)
        driver.execute(_PLANS_AS_BEFORE)
    return _entries_from_json(found.fetchone()[0])


# The transaction's setting is kept in a setting of our own, to be put back in the same round trip.
_GENERIC_PLANS = "SELECT set_config('sema.plan_cache_mode', current_setting('plan_cache_mode'), true), set_config('plan_cache_mode', 'force_generic_plan', true)"
_PLANS_AS_BEFORE = "SELECT set_config('plan_cache_mode', current_setting('sema.plan_cache_mode'), true)"


@functools.lru_cache(maxsize=256)
def _trigram_index_statement(indexed: int, checked: int, kinds: bool, limit: int, offset: int) -> str:
    # The indexed words' LIKE is the whole check (words are letters and digits); the others
    # are checked on the row, over an expression the trigram index does not hold.
    checks = "".join(" AND search_text LIKE %s" for _ in range(indexed))
    checks += "".join(" AND strpos(search_text || '', %s) > 0" for _ in range(checked)) + (" AND kind = ANY(%s)" if kinds else "")
    entries = directory.entries.name
    return (
        f"SELECT coalesce(json_agg(p.entry ORDER BY p.sort_key, p.id), '[]')::text FROM ("
        f"SELECT {_SHOWN.format(e='e')} AS entry, k.sort_key, k.id FROM ("
        f"SELECT id, sort_name || '' AS sort_key FROM {entries} WHERE listed{checks} "
        f"ORDER BY sort_key, id LIMIT {limit:d} OFFSET {offset:d}) k JOIN {entries} e ON e.id = k.id) p"
    )


def _driver(session: Reader) -> Any:
    """PostgreSQL: the driver's (psycopg's) connection under the session, in its transaction."""
    connection = session.connection() if isinstance(session, Session) else session
    return connection.connection.driver_connection


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
