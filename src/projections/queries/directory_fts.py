"""SQLite: a directory page from the FTS index, whose row ids follow the names (ADR 47).

The index yields matches in row-id order, which is name order between name
codes (:mod:`projections.name_order`), and a query stops as soon as it has the
page: the first ``offset + limit`` matches, then the rest of the last one's
code (names too alike for the code's precision), sorted. Matches bunched far
down the order cost no more than early ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import TextClause, text

from projections.name_order import last_rowid_of_code
from projections.queries.common import Reader, directory

TRIGRAM = 3  # the shortest fragment a trigram index looks up
# Every character of a search text (``search_text.search_text``): lower-case
# letters and digits, words after single spaces, a space first.
TEXT_CHARACTERS = " 0123456789abcdefghijklmnopqrstuvwxyz"
FIRST_ROWID = -(1 << 63)
LAST_ROWID = (1 << 63) - 1

# One statement per shape (words checked on the text, kinds), made once.
_statements: dict[tuple[int, int], TextClause] = {}


def fts_query(words: list[str]) -> tuple[str, list[str]] | None:
    """The FTS5 query for ``words``, and the words it does not settle (to check on
    the text); ``None`` if no word has two characters or more.

    A word of three or more: its first and last trigram (exact for three).
    A word of two: any trigram that ends with it — every character of the text
    follows another, a space at least — asked only when no longer word is, as
    37 terms cost more than checking the text of the longer words' matches."""
    long = [w for w in words if len(w) >= TRIGRAM]
    terms = [f'"{t}"' for t in dict.fromkeys(t for w in long for t in (w[:TRIGRAM], w[-TRIGRAM:]))]
    if not long:
        terms = ["(" + " OR ".join(f'"{c}{w}"' for c in TEXT_CHARACTERS) + ")" for w in words if len(w) == 2]
    if not terms:
        return None
    settled = {w for w in words if len(w) == TRIGRAM} if long else {w for w in words if len(w) == 2}
    return " AND ".join(terms), [w for w in words if w not in settled]


def page_in_name_order(session: Reader, words: list[str], kinds: Sequence[str], limit: int, offset: int) -> list[str] | None:
    """The ids of the page's entries, sorted by name then id; ``None`` if the
    index cannot look any of the words up (only one-letter words)."""
    found = fts_query(words)
    if found is None:
        return None
    match, checked = found
    statement = _statement(len(checked), len(kinds))
    wanted = offset + limit
    params: dict[str, Any] = {"match": match, "after": FIRST_ROWID, "through": LAST_ROWID, "count": wanted}
    params.update({f"word{i}": f"*{w}*" for i, w in enumerate(checked)})
    params.update({f"kind{i}": k for i, k in enumerate(kinds)})
    rows = session.execute(statement, params).all()
    if len(rows) == wanted:
        # The rest of the last match's code: names that alike sort among themselves.
        last = rows[-1][0]
        rows += session.execute(statement, {**params, "after": last, "through": last_rowid_of_code(last), "count": -1}).all()
    return [i for _, i in sorted((name, i) for _, name, i in rows)[offset:wanted]]


def _statement(checked: int, kinds: int) -> TextClause:
    found = _statements.get((checked, kinds))
    if found is None:
        fts = directory.fts.name
        # ``text || ''``: a GLOB the FTS table never sees (see ``directory_fts.FTS_OPTIONS``).
        conditions = [f"{fts} MATCH :match", "rowid > :after", "rowid <= :through"]
        conditions += [f"(search_text || '') GLOB :word{i}" for i in range(checked)]
        if kinds:
            conditions.append(f"kind IN ({', '.join(f':kind{i}' for i in range(kinds))})")
        sql = f"SELECT rowid, sort_name, id FROM {fts} WHERE {' AND '.join(conditions)} ORDER BY rowid LIMIT :count"
        found = _statements[(checked, kinds)] = text(sql)
    return found
