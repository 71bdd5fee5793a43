"""Search text: what a read model indexes and what a query asks for, folded alike.

Both stores match the same way, so an answer never depends on the database.
The administrators' user search: every word of the query starts some word of
the entry (:func:`matches`, ``LIKE '% word%'``). The directory: every word of
the query is found inside some word of the entry, as LDAP substring filters do
(:func:`found_in`): SQLite through an FTS5 trigram index, PostgreSQL through a
pg_trgm index, both with ``LIKE '%word%'``.
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
    word start is ``" " + word`` for a ``LIKE`` pattern. The parts are folded as
    one text (the same words: transliteration is character by character, and
    the spaces between parts end words), one call instead of one per part (a
    rebuild makes 40,000 of these at 20,000 users: issue 12's profile)."""
    return " " + " ".join(words(" ".join([part for part in parts if part])))


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


def found_in(indexed: str, query: str) -> bool:
    """The directory's rule, in Python: every word of the query inside some word of the entry."""
    return not finds_nothing(query) and all(w in indexed for w in query_words(query))
