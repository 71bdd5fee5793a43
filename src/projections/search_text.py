"""Search text: what a read model indexes and what a query asks for, folded alike.

Both stores match the same way — every word of the query is the start of some
word of the entry — so an answer never depends on the database: SQLite through
an FTS5 prefix query, PostgreSQL through ``LIKE '% word%'`` on a trigram index.
"""

from __future__ import annotations

import re

from anyascii import anyascii

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """``"Zoë O'Brien <zoe.obrien@org.cjsm.net>"`` → ``["zoe", "o", "brien", "zoe", "obrien", …]``."""
    return _WORD.findall(anyascii(text or "").lower())


def search_text(*parts: str | None) -> str:
    """The indexed form: the words, space-separated, with a leading space so each
    word start is ``" " + word`` for a ``LIKE`` pattern."""
    return " " + " ".join(w for part in parts if part for w in words(part))


def query_words(text: str) -> list[str]:
    """The distinct words of a query, in order."""
    return list(dict.fromkeys(words(text)))


def finds_nothing(text: str) -> bool:
    """Text is matched literally: a query of only symbols (``%``, ``_``, ``*``)
    has no word to match, so it finds nothing — it is not a wildcard, and not
    "no filter". Words are letters and digits only, so no ``LIKE`` or FTS
    operator character ever reaches the database."""
    return bool(text.strip()) and not query_words(text)


def matches(indexed: str, query: str) -> bool:
    """The rule both stores implement, in Python (for tests and oracles)."""
    return not finds_nothing(query) and all(f" {w}" in indexed for w in query_words(query))
