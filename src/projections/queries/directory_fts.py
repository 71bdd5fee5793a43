"""SQLite: a directory page from the FTS index, whose row ids follow the names (ADR 47).

The index yields matches in row-id order, which is name order between name
codes (:mod:`projections.name_order`), and a query stops as soon as it has
``offset + limit`` matches. Those of the last match's code (names too alike
for the code's precision: a long surname and an initial) may not be the first
of that code in name order: they come from a walk of the name index, from
where that code starts. Matches bunched far down the order cost no more than
early ones.

The statements run on the driver's connection, in the session's transaction:
SQLAlchemy's handling of a statement and its rows cost three times SQLite's
work here (issue 12's profile, ADR 47).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from projections.directory_fts import SHOWN_COLUMNS, trigram_key
from projections.name_order import code_of_rowid, first_name_with_code, name_code
from projections.queries.common import Reader, directory

TRIGRAM = 3  # the shortest fragment a trigram index looks up
ASKED = 2  # words of a query the index is asked for, at least
COUNTED = 2000  # a trigram in more entries is common (asked at 14 ns an entry when matches are few)
# Every character of a search text (``search_text.search_text``): lower-case
# letters and digits, words after single spaces, a space first.
TEXT_CHARACTERS = " 0123456789abcdefghijklmnopqrstuvwxyz"
ALIKE_BITS = 0  # low bits of a name code a page takes for alike (tests make codes coarser)

Row = dict[str, Any]  # what a user sees of an entry (SHOWN_COLUMNS), its JSON decoded


def page_in_name_order(session: Reader, words: list[str], kinds: Sequence[str], limit: int, offset: int) -> list[Row] | None:
    """The page's entries, sorted by name then id; ``None`` if the index cannot
    look any of the words up (only one-letter words)."""
    driver = _driver(session)
    found = fts_query(driver, words)
    if found is None:
        return None
    match, checked = found
    wanted = offset + limit
    params: dict[str, Any] = {"match": match, "count": wanted, **_words_and_kinds(checked, kinds)}
    rows = driver.execute(_statement("fts", len(checked), len(kinds)), params).fetchall()
    if len(rows) < wanted:
        return [_shown(r[2:]) for r in sorted(rows, key=_name_order)[offset:]]
    # Every match of a code below the last one's is read; of the last one's code,
    # names alike to its precision, the first in name order come from the name index.
    code = code_of_rowid(rows[-1][0]) >> ALIKE_BITS << ALIKE_BITS
    before = sorted((r for r in rows if code_of_rowid(r[0]) < code), key=_name_order)
    rest = _first_with_code(driver, code, words, kinds, wanted - len(before))[max(offset - len(before), 0) :]
    read = {r[3]: r[2:] for r in rows}
    read.update((r[1], r) for r in _entries(driver, [i for i in rest if i not in read]))
    # An entry a commit between the statements took away is left out (SQLite reads each at its own time).
    return [_shown(r[2:]) for r in before[offset:]] + [_shown(read[i]) for i in rest if i in read]


def entries_in_order(session: Reader, ids: list[str]) -> list[Row]:
    """The entries with these ids, in this order."""
    rows = {r[1]: r for r in _entries(_driver(session), ids)}
    return [_shown(rows[i]) for i in ids if i in rows]


def fts_query(driver: sqlite3.Connection, words: list[str]) -> tuple[str, list[str]] | None:
    """The FTS5 query for ``words``, and the words it does not settle (to check on
    the text); ``None`` if no word has two characters or more.

    A word of three or more: its rarest trigrams, a common one only if no
    rarer one stands for its word (:func:`_asked`). A word of two: the
    trigrams that end with it (every character of the text follows another, a
    space at least) and some entry has — of 37, a dozen or so: each costs a
    lookup in every segment of the index —, asked only when no longer word is
    (more terms cost more than checking the text)."""
    long = [w for w in words if len(w) >= TRIGRAM]
    if long:
        asked = _asked(driver, long)
        terms = [f'"{t}"' for t in asked]
        settled = {w for w in long if w in asked}
    else:
        short = [w for w in words if len(w) == 2]
        ending = {w: [c + w for c in TEXT_CHARACTERS] for w in short}
        counts = _counts(driver, [t for found in ending.values() for t in found])
        # A word no entry has is asked by all its trigrams: found in none, as the counts said, or in one written since.
        terms = ["(" + " OR ".join(f'"{t}"' for t in [t for t in ending[w] if counts[t]] or ending[w]) + ")" for w in short]
        settled = set(short)
    if not terms:
        return None
    return " AND ".join(terms), [w for w in words if w not in settled]


def _asked(driver: sqlite3.Connection, long: list[str]) -> list[str]:
    """The trigrams to ask for these words: each word's two rarest, if in fewer
    than ``COUNTED`` entries; for words with none so rare, their two rarest not
    yet asked, until ``ASKED`` words are stood for. An intersection reads the
    whole list of a common trigram when matches are few (an address's
    "police", "gov", "net": 2–5 ms at 100,000 entries), and a word's rare middle
    ("obi" of "robinson") narrows what is checked on the text more than its ends."""
    trigrams = {w: list(dict.fromkeys(w[i : i + TRIGRAM] for i in range(len(w) - TRIGRAM + 1))) for w in long}
    if len(long) == 1 and len(trigrams[long[0]]) <= ASKED:
        return trigrams[long[0]]
    counts = _counts(driver, list(dict.fromkeys(t for found in trigrams.values() for t in found)))
    rarest = {w: sorted(found, key=lambda t: counts[t]) for w, found in trigrams.items()}
    asked = [t for w in long for t in rarest[w][:2] if counts[t] < COUNTED]
    unasked = sorted((w for w in long if not set(rarest[w]) & set(asked)), key=lambda w: counts[rarest[w][0]])
    for w in unasked[: max(ASKED - (len(long) - len(unasked)), 0)]:
        asked += [t for t in rarest[w] if t not in asked][:2] or rarest[w][:1]
    return list(dict.fromkeys(asked))


def _counts(driver: sqlite3.Connection, trigrams: list[str]) -> dict[str, int]:
    """How many entries have each trigram: the directory's counts table, kept
    with the FTS rows (``directory_fts``). Counts choose what is asked (and,
    for a two-letter word, which trigrams can find anything), never what a
    term finds."""
    keys = [trigram_key(t) for t in trigrams]
    found = dict(driver.execute(_counting(len(keys)), keys).fetchall())
    return {t: found.get(k, 0) for t, k in zip(trigrams, keys)}


@functools.cache
def _counting(terms: int) -> str:
    return f"SELECT trigram, entries FROM {directory.fts.counts} WHERE trigram IN ({', '.join(['?'] * terms)})"


def _first_with_code(driver: sqlite3.Connection, code: int, words: list[str], kinds: Sequence[str], count: int) -> list[str]:
    """The ids of the first ``count`` matches in name order whose name code is
    ``code`` or more, walking the name index from a little below the first such name."""
    params = {"first": first_name_with_code(code), **_words_and_kinds(words, kinds)}
    found: list[str] = []
    reached = False
    cursor = driver.execute(_statement("walk", len(words), len(kinds)), params)
    for name, i in cursor:
        reached = reached or name_code(name) >= code  # codes follow names: checked until one is reached
        if reached:
            found.append(i)
            if len(found) == count:
                break
    cursor.close()
    return found


def _entries(driver: sqlite3.Connection, ids: list[str]) -> list[tuple[Any, ...]]:
    """The SHOWN_COLUMNS of the entries with these ids, in no order."""
    if not ids:
        return []
    return driver.execute(_statement("entries", 0, 0), {"ids": json.dumps(ids)}).fetchall()


def _shown(row: Sequence[Any]) -> Row:
    shown = dict(zip(SHOWN_COLUMNS, row))
    shown["aliases"], shown["details"] = json.loads(shown["aliases"]), json.loads(shown["details"])
    return shown


def _name_order(row: Sequence[Any]) -> tuple[str, str]:
    # Rows of the FTS statement: rowid, sort_name, then SHOWN_COLUMNS (kind, id, …).
    # SQLite's text order is Python's, code point by code point.
    return row[1], row[3]


def _words_and_kinds(words: list[str], kinds: Sequence[str]) -> dict[str, str]:
    return {**{f"word{i}": f"*{w}*" for i, w in enumerate(words)}, **{f"kind{i}": k for i, k in enumerate(kinds)}}


@functools.cache
def _statement(kind: str, words: int, kinds: int) -> str:
    """The FTS index's matches in row-id order (``fts``), or the name index's from a
    name (``walk``), with ``words`` checked on the text; or entries by id (``entries``)."""
    shown = ", ".join(SHOWN_COLUMNS)
    if kind == "entries":
        return f"SELECT {shown} FROM {directory.entries.name} WHERE id IN (SELECT value FROM json_each(:ids))"
    # ``text || ''``: a GLOB no index takes (the FTS table must never see one: ``directory_fts.FTS_OPTIONS``).
    conditions = [f"(search_text || '') GLOB :word{i}" for i in range(words)]
    if kinds:
        conditions.append(f"kind IN ({', '.join(f':kind{i}' for i in range(kinds))})")
    if kind == "fts":
        fts = directory.fts.name
        return f"SELECT rowid, sort_name, {shown} FROM {fts} WHERE {' AND '.join([f'{fts} MATCH :match', *conditions])} ORDER BY rowid LIMIT :count"
    where = " AND ".join(["listed = 1", "sort_name >= :first", *conditions])
    return f"SELECT sort_name, id FROM {directory.entries.name} WHERE {where} ORDER BY sort_name, id"


def _driver(session: Reader) -> sqlite3.Connection:
    """The DB-API connection under the session, in its transaction."""
    connection = session.connection() if isinstance(session, Session) else session
    driver: sqlite3.Connection = connection.connection.driver_connection
    return driver
