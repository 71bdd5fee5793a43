"""SQLite: a directory page from the FTS index, whose row ids follow the names (ADR 47).

The index yields matches in row-id order, which is name order between name
codes (:mod:`projections.name_order`), and a query stops as soon as it has
``offset + limit`` matches. Those of the last match's code (names too alike
for the code's precision: a long surname and an initial) may not be the first
of that code in name order: they come from a walk of the name index, from
where that code starts. Matches bunched far down the order cost no more than
early ones.
"""

from __future__ import annotations

import functools
import json
import time
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, TextClause, text
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.orm import Session

from projections.name_order import code_of_rowid, first_name_with_code, name_code
from projections.queries.common import Reader, directory

TRIGRAM = 3  # the shortest fragment a trigram index looks up
ASKED = 2  # words of a query the index is asked for, at least
COUNTED = 2000  # a trigram in more entries is common (asked at 14 ns an entry when matches are few)
COUNTS_KEPT_S = 600.0
# Every character of a search text (``search_text.search_text``): lower-case
# letters and digits, words after single spaces, a space first.
TEXT_CHARACTERS = " 0123456789abcdefghijklmnopqrstuvwxyz"
ALIKE_BITS = 0  # low bits of a name code a page takes for alike (tests make codes coarser)

# One statement per shape (words checked on the text, kinds), made once.
_statements: dict[tuple[str, int, int], TextClause] = {}
# Per database: trigram -> (entries it is in, up to COUNTED; when counted).
_counted: weakref.WeakKeyDictionary[Engine | Connection, dict[str, tuple[int, float]]] = weakref.WeakKeyDictionary()


def fts_query(session: Reader, words: list[str]) -> tuple[str, list[str]] | None:
    """The FTS5 query for ``words``, and the words it does not settle (to check on
    the text); ``None`` if no word has two characters or more.

    A word of three or more: its rarest trigrams, a common one only if no
    rarer one stands for its word (:func:`_asked`). A word of two: any trigram that ends with it (every
    character of the text follows another, a space at least), asked only when
    no longer word is: 37 terms cost more than checking the text."""
    long = [w for w in words if len(w) >= TRIGRAM]
    if long:
        asked = _asked(session, long)
        terms = [f'"{t}"' for t in asked]
        settled = {w for w in long if w in asked}
    else:
        terms = ["(" + " OR ".join(f'"{c}{w}"' for c in TEXT_CHARACTERS) + ")" for w in words if len(w) == 2]
        settled = {w for w in words if len(w) == 2}
    if not terms:
        return None
    return " AND ".join(terms), [w for w in words if w not in settled]


def _asked(session: Reader, long: list[str]) -> list[str]:
    """The trigrams to ask for these words: each word's two rarest, if in fewer
    than ``COUNTED`` entries; for words with none so rare, their two rarest not
    yet asked, until ``ASKED`` words are stood for. An intersection reads the whole
    list of a common trigram when matches are few (an address's "police",
    "gov", "net": 2–5 ms at 100,000 entries), and a word's rare middle ("obi"
    of "robinson") narrows what is checked on the text more than its ends."""
    trigrams = {w: list(dict.fromkeys(w[i : i + TRIGRAM] for i in range(len(w) - TRIGRAM + 1))) for w in long}
    if len(long) == 1 and len(trigrams[long[0]]) <= ASKED:
        return trigrams[long[0]]
    counts = _counts(session, list(dict.fromkeys(t for found in trigrams.values() for t in found)))
    rarest = {w: sorted(found, key=lambda t: counts[t]) for w, found in trigrams.items()}
    asked = [t for w in long for t in rarest[w][:2] if counts[t] < COUNTED]
    unasked = sorted((w for w in long if not set(rarest[w]) & set(asked)), key=lambda w: counts[rarest[w][0]])
    for w in unasked[: max(ASKED - (len(long) - len(unasked)), 0)]:
        asked += [t for t in rarest[w] if t not in asked][:2] or rarest[w][:1]
    return list(dict.fromkeys(asked))


def _counts(session: Reader, trigrams: list[str]) -> dict[str, int]:
    """How many entries have each trigram, up to ``COUNTED``. Kept a while per
    database: counts only choose what is asked, never what is found, so an old
    count costs time, not answers."""
    bind = session.get_bind() if isinstance(session, Session) else session.engine
    counts = _counted.setdefault(bind, {})
    now = time.monotonic()
    unknown = [t for t in trigrams if t not in counts or counts[t][1] < now - COUNTS_KEPT_S]
    if unknown:
        found = session.execute(_counting(len(unknown)), {f"t{i}": f'"{t}"' for i, t in enumerate(unknown)}).one()
        counts.update((t, (n, now)) for t, n in zip(unknown, found))
    return {t: counts[t][0] for t in trigrams}


@functools.cache
def _counting(terms: int) -> TextClause:
    fts = directory.fts.name
    counted = f"(SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :t{{}} LIMIT {COUNTED}))"
    return text("SELECT " + ", ".join(counted.format(i) for i in range(terms)))


def page_in_name_order(session: Reader, words: list[str], kinds: Sequence[str], limit: int, offset: int) -> list[str] | None:
    """The ids of the page's entries, sorted by name then id; ``None`` if the
    index cannot look any of the words up (only one-letter words)."""
    found = fts_query(session, words)
    if found is None:
        return None
    match, checked = found
    wanted = offset + limit
    params: dict[str, Any] = {"match": match, "count": wanted, **_words_and_kinds(checked, kinds)}
    rows = session.execute(_statement("fts", len(checked), len(kinds)), params).all()
    if len(rows) < wanted:
        return [i for _, i in sorted((name, i) for _, name, i in rows)[offset:]]
    # Every match of a code below the last one's is read; of the last one's code,
    # names alike to its precision, the first in name order come from the name index.
    code = code_of_rowid(rows[-1][0]) >> ALIKE_BITS << ALIKE_BITS
    before = sorted((name, i) for rowid, name, i in rows if code_of_rowid(rowid) < code)
    return [i for _, i in before][offset:] + _first_with_code(session, code, words, kinds, wanted - len(before))[max(offset - len(before), 0) :]


def _first_with_code(session: Reader, code: int, words: list[str], kinds: Sequence[str], count: int) -> list[str]:
    """The first ``count`` matches in name order whose name code is ``code`` or
    more, walking the name index from a little below the first such name."""
    params = {"first": first_name_with_code(code), **_words_and_kinds(words, kinds)}
    found: list[str] = []
    reached = False
    result = session.execute(_statement("walk", len(words), len(kinds)), params)
    for name, i in result:
        reached = reached or name_code(name) >= code  # codes follow names: checked until one is reached
        if reached:
            found.append(i)
            if len(found) == count:
                break
    result.close()
    return found


def _words_and_kinds(words: list[str], kinds: Sequence[str]) -> dict[str, str]:
    return {**{f"word{i}": f"*{w}*" for i, w in enumerate(words)}, **{f"kind{i}": k for i, k in enumerate(kinds)}}


def _statement(walk: str, words: int, kinds: int) -> TextClause:
    """The FTS index's matches in row-id order (``fts``), or the name index's from a
    name (``walk``), with ``words`` checked on the text: made once per shape."""
    found = _statements.get((walk, words, kinds))
    if found is None:
        # ``text || ''``: a GLOB no index takes (the FTS table must never see one: ``directory_fts.FTS_OPTIONS``).
        conditions = [f"(search_text || '') GLOB :word{i}" for i in range(words)]
        if kinds:
            conditions.append(f"kind IN ({', '.join(f':kind{i}' for i in range(kinds))})")
        if walk == "fts":
            fts = directory.fts.name
            where = " AND ".join([f"{fts} MATCH :match", *conditions])
            sql = f"SELECT rowid, sort_name, id FROM {fts} WHERE {where} ORDER BY rowid LIMIT :count"
        else:
            where = " AND ".join(["listed = 1", "sort_name >= :first", *conditions])
            sql = f"SELECT sort_name, id FROM {directory.entries.name} WHERE {where} ORDER BY sort_name, id"
        found = _statements[(walk, words, kinds)] = text(sql)
    return found


def entries_in_order(session: Reader, ids: list[str]) -> list[RowMapping]:
    """The entries with these ids, in this order, with what a user sees of them:
    one statement, its ids one JSON parameter (an ``IN`` list is rendered
    afresh by SQLAlchemy each time, which cost more than SQLite's lookups)."""
    if not ids:
        return []
    rows = {r["id"]: r for r in session.execute(_entries_statement(), {"ids": json.dumps(ids)}).mappings()}
    return [rows[i] for i in ids]


@functools.cache
def _entries_statement() -> TextClause:
    columns = "kind, id, name, organisation_id, organisation_name, address, aliases, details"
    sql = f"SELECT {columns} FROM {directory.entries.name} WHERE id IN (SELECT value FROM json_each(:ids))"
    return text(sql).columns(aliases=JSON, details=JSON)
