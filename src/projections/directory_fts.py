"""SQLite: the directory's FTS5 index, its rows in name order (ADR 31, 43, 47).

The FTS table holds each listed entry's search text (trigram-indexed) and,
unindexed, what a page is sorted and filtered by and what a user sees of an
entry: a page is read from its rows, which lie together (row ids in name
order), not from the entries' rows, scattered in creation order. Its row ids follow the names
(:mod:`projections.name_order`): a query walks the matches in name order and
stops at the page. ``detail=none``: queries ask for single trigrams, never
phrases, so the index keeps no positions (a third of its size).

A keys table remembers, per entry, its ordinal and the FTS row id it has now:
a rename moves the entry's FTS row, and the old row id comes from there (the
entries already hold the new name when the batch reindexes).
"""

from __future__ import annotations

import functools
import json
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from projections.batch import IN_CHUNK, Batch
from projections.name_order import fts_rowid

# The indexed text, what a page is sorted and filtered by, and what a user sees of an entry (unindexed).
SHOWN_COLUMNS = ("kind", "id", "name", "organisation_id", "organisation_name", "address", "aliases", "details")
FTS_COLUMNS = ("search_text", "sort_name", *SHOWN_COLUMNS)
JSON_COLUMNS = frozenset({"aliases", "details"})
FTS_SCHEMA = ", ".join(["search_text", *[f"{c} UNINDEXED" for c in FTS_COLUMNS[1:]]])
# Never give this table a LIKE or GLOB on a column: SQLite 3.40's trigram
# tokenizer with detail=none crashes the process on one (queries test ``text || ''``).
FTS_OPTIONS = "tokenize='trigram', detail=none"


class DirectoryFts:
    """The FTS table and keys table of one copy of the directory (live or shadow)."""

    def __init__(self, entries: Table, suffix: str) -> None:
        self.entries = entries
        self.name = f"sema_directory_fts{suffix}"
        self.keys = f"sema_directory_fts_keys{suffix}"

    def table_names(self) -> list[str]:
        return [self.name, self.keys]

    def create(self, session: Session) -> None:
        """Made, or, in a store made before (word tokens, no sort columns, row ids
        that were creation positions, no keys), made again and refilled from the
        entries, once, when opened."""
        found = dict(session.execute(text("SELECT name, sql FROM sqlite_master WHERE name IN (:fts, :keys)"), {"fts": self.name, "keys": self.keys}).all())
        if f"{FTS_SCHEMA}, {FTS_OPTIONS}" in (found.get(self.name) or "") and self.keys in found:
            return
        session.execute(text(f"DROP TABLE IF EXISTS {self.name}"))
        session.execute(text(f"DROP TABLE IF EXISTS {self.keys}"))
        session.execute(text(f"CREATE VIRTUAL TABLE {self.name} USING fts5({FTS_SCHEMA}, {FTS_OPTIONS})"))
        session.execute(text(f"CREATE TABLE {self.keys} (seq INTEGER PRIMARY KEY, ordinal INTEGER NOT NULL UNIQUE, fts_rowid INTEGER)"))
        e = self.entries.c
        rows = session.execute(select(e.seq, e.listed, *[e[c] for c in FTS_COLUMNS]).order_by(e.seq)).mappings().all()
        keys, listed = self._rows([dict(r) for r in rows], {r["seq"]: ordinal for ordinal, r in enumerate(rows, 1)})
        if keys:
            session.execute(self._statements[3], keys)
        if listed:
            session.execute(self._statements[2], listed)
            session.execute(text(f"INSERT INTO {self.name} ({self.name}) VALUES ('optimize')"))

    def reindex(self, batch: Batch) -> None:
        """The FTS rows of the entries the batch wrote follow their name, text and
        whether they are listed, once per batch (no handler reads the FTS table).
        Entries are never deleted, so a new one's ordinal is one more than the last."""
        reading, reading_keys, inserting, adding_keys, deleting, moving_keys, last_ordinal = self._statements
        inserted = batch.inserted(self.entries)
        keyed = batch.keyed(self.entries, "id")
        rows = [r for r in inserted if r["id"] not in keyed]  # new, as written
        changed = sorted(keyed)
        for start in range(0, len(changed), IN_CHUNK):
            rows += [dict(r) for r in batch.select(reading, {"ids": changed[start : start + IN_CHUNK]})]
        if not rows:
            return
        ordinals: dict[int, int] = {}
        if inserted:
            last = batch.select(last_ordinal)[0]["last"]
            ordinals = {r["seq"]: last + i for i, r in enumerate(inserted, 1)}
        indexed = {}  # entries indexed before this batch: seq -> FTS row id (None: not listed)
        before = [r["seq"] for r in rows if r["seq"] not in ordinals]
        for start in range(0, len(before), IN_CHUNK):
            for key in batch.select(reading_keys, {"seqs": before[start : start + IN_CHUNK]}):
                ordinals[key["seq"]], indexed[key["seq"]] = key["ordinal"], key["fts_rowid"]
        keys, listed = self._rows(rows, ordinals)
        gone = [{"rowid": r} for r in sorted(r for r in indexed.values() if r is not None)]  # in row-id order too (see _rows)
        if gone:
            batch.execute(deleting, gone)
        if listed:
            batch.execute(inserting, listed)
        new = [k for k in keys if k["seq"] not in indexed]
        if new:
            batch.execute(adding_keys, new)
        moved = [k for k in keys if k["seq"] in indexed and indexed[k["seq"]] != k["fts_rowid"]]
        if moved:
            batch.execute(moving_keys, moved)

    @staticmethod
    def _rows(rows: list[dict[str, Any]], ordinals: dict[int, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The keys rows of these entries, and the FTS rows of those listed."""
        keys, listed = [], []
        for r in rows:
            rowid = fts_rowid(r["sort_name"], ordinals[r["seq"]]) if r["listed"] else None
            keys.append({"seq": r["seq"], "ordinal": ordinals[r["seq"]], "fts_rowid": rowid})
            if rowid is not None:
                listed.append({"rowid": rowid, **{c: json.dumps(r[c]) if c in JSON_COLUMNS else r[c] for c in FTS_COLUMNS}})
        # In row-id order: FTS5 writes out its pending terms whenever a row id is lower than the last (a segment each time).
        listed.sort(key=itemgetter("rowid"))
        return keys, listed

    @functools.cached_property
    def _statements(self) -> tuple[Executable, ...]:
        """What :meth:`reindex` runs, made once (a statement built per command cost more than running it)."""
        e = self.entries.c
        columns, values = ", ".join(FTS_COLUMNS), ", ".join(f":{c}" for c in FTS_COLUMNS)
        return (
            select(e.seq, e.listed, *[e[c] for c in FTS_COLUMNS]).where(e.id.in_(bindparam("ids", expanding=True))),
            text(f"SELECT seq, ordinal, fts_rowid FROM {self.keys} WHERE seq IN :seqs").bindparams(bindparam("seqs", expanding=True)),
            text(f"INSERT INTO {self.name} (rowid, {columns}) VALUES (:rowid, {values})"),
            text(f"INSERT INTO {self.keys} (seq, ordinal, fts_rowid) VALUES (:seq, :ordinal, :fts_rowid)"),
            text(f"DELETE FROM {self.name} WHERE rowid = :rowid"),
            text(f"UPDATE {self.keys} SET fts_rowid = :fts_rowid WHERE seq = :seq"),
            text(f"SELECT coalesce(max(ordinal), 0) AS last FROM {self.keys}"),
        )
