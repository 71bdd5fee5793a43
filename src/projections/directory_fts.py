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

A counts table holds, per trigram, how many rows of the FTS table have it
(ADR 52): a query chooses which trigrams to ask by them, and reads a few rows
of a small table where counting in the FTS index cost milliseconds the first
time each process asked. Written in the same transaction as the FTS rows,
exact, so a rebuild gives the same counts.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Integer, String, Table, bindparam, column, func, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from projections.batch import Batch
from projections.name_order import fts_rowid

# The indexed text, what a page is sorted and filtered by, and what a user sees of an entry (unindexed).
SHOWN_COLUMNS = ("kind", "id", "name", "organisation_id", "organisation_name", "address", "aliases", "details")
FTS_COLUMNS = ("search_text", "sort_name", *SHOWN_COLUMNS)
JSON_COLUMNS = frozenset({"aliases", "details"})
FTS_SCHEMA = ", ".join(["search_text", *[f"{c} UNINDEXED" for c in FTS_COLUMNS[1:]]])
# Never give this table a LIKE or GLOB on a column: SQLite 3.40's trigram
# tokenizer with detail=none crashes the process on one (queries test ``text || ''``).
FTS_OPTIONS = "tokenize='trigram', detail=none, columnsize=0"
TRIGRAM = 3


def trigrams(search_text: str) -> set[str]:
    """The trigrams of a search text, as the FTS tokenizer makes them (the text is
    lower-case ASCII letters, digits and spaces: ``search_text.search_text``)."""
    return {search_text[i : i + TRIGRAM] for i in range(len(search_text) - TRIGRAM + 1)}


def trigram_key(trigram: str) -> int:
    """The counts table's key of a trigram: its three ASCII bytes as one integer."""
    return int.from_bytes(trigram.encode(), "big")


class DirectoryFts:
    """The FTS table and keys table of one copy of the directory (live or shadow)."""

    def __init__(self, entries: Table, suffix: str) -> None:
        self.entries = entries
        self.name = f"sema_directory_fts{suffix}"
        self.keys = f"sema_directory_fts_keys{suffix}"
        self.counts = f"sema_directory_fts_counts{suffix}"

    def table_names(self) -> list[str]:
        return [self.name, self.keys, self.counts]

    def create(self, session: Session) -> None:
        """Made, or, in a store made before (word tokens, no sort columns, row ids
        that were creation positions, no keys), made again and refilled from the
        entries, once, when opened; a store made before the counts table gets it,
        counted from the entries."""
        names = {"fts": self.name, "keys": self.keys, "counts": self.counts}
        found = dict(session.execute(text("SELECT name, sql FROM sqlite_master WHERE name IN (:fts, :keys, :counts)"), names).all())
        e = self.entries.c
        if f"{FTS_SCHEMA}, {FTS_OPTIONS}" in (found.get(self.name) or "") and self.keys in found:
            if self.counts not in found:
                session.execute(text(self._counts_schema))
                listed_texts = session.execute(select(e.search_text).where(e.listed)).scalars().all()
                self._count(session, listed_texts, [])
            return
        for table in (self.name, self.keys, self.counts):
            session.execute(text(f"DROP TABLE IF EXISTS {table}"))
        session.execute(text(f"CREATE VIRTUAL TABLE {self.name} USING fts5({FTS_SCHEMA}, {FTS_OPTIONS})"))
        session.execute(text(f"CREATE TABLE {self.keys} (seq INTEGER PRIMARY KEY, ordinal INTEGER NOT NULL UNIQUE, fts_rowid INTEGER)"))
        session.execute(text(self._counts_schema))
        rows = session.execute(select(e.seq, e.listed, *[e[c] for c in FTS_COLUMNS]).order_by(e.seq)).mappings().all()
        keys, listed = self._rows([dict(r) for r in rows], {r["seq"]: ordinal for ordinal, r in enumerate(rows, 1)})
        if keys:
            session.execute(self._statements[2], keys)
        if listed:
            session.execute(self._statements[1], listed)
            self.optimize(session)
            self._count(session, [r["search_text"] for r in listed], [])

    def optimize(self, session: Session) -> None:
        """Merges the index into one segment. Written batch by batch it keeps a
        segment per flush (21 at 100,000 users, after a rebuild), and a query looks
        each trigram up in every one: "ma" took 3.5 ms of SQLite's time with 21
        segments, 0.7 ms with one (issue 12, ``benchmarks/bench_read_side.py``)."""
        session.execute(text(f"INSERT INTO {self.name} ({self.name}) VALUES ('optimize')"))

    @property
    def _counts_schema(self) -> str:
        # The key is the trigram's bytes: integer keys keep the table small and its rows in one order however written.
        return f"CREATE TABLE {self.counts} (trigram INTEGER PRIMARY KEY, entries INTEGER NOT NULL)"

    def _count(self, session: Session | Batch, added: list[str], removed: list[str]) -> None:
        """Counts the trigrams of the texts ``added`` to the FTS rows and uncounts those
        of the texts ``removed`` (a text in both, an entry rewritten as it was, costs nothing)."""
        if len(added) <= 1 and len(removed) <= 1:
            # One entry's text for another (most commands): the trigrams of one and not the other.
            new = trigrams(added[0]) if added else set()
            old = trigrams(removed[0]) if removed else set()
            changes: dict[str, int] = dict.fromkeys(new - old, 1)
            changes.update(dict.fromkeys(old - new, -1))
        else:
            plus, minus = Counter(added), Counter(removed)
            changes = Counter(chain.from_iterable(map(trigrams, (plus - minus).elements())))
            changes.subtract(chain.from_iterable(map(trigrams, (minus - plus).elements())))
        counting, uncounted = self._statements[6:8]
        changed = [{"trigram": trigram_key(t), "entries": n} for t, n in changes.items() if n]
        if not changed:
            return
        session.execute(counting, changed)
        gone = [{"trigram": c["trigram"]} for c in changed if c["entries"] < 0]
        if gone:
            session.execute(uncounted, gone)

    def reindex(self, batch: Batch) -> None:
        """The FTS rows of the entries the batch wrote follow their name, text and
        whether they are listed, once per batch (no handler reads the FTS table).
        Entries are never deleted, so a new one's ordinal is one more than the last.
        An entry written before this batch is read with its keys row and its FTS row
        in one select; an FTS row that would be written again as it is (same row id,
        same values: a write that changed nothing the index holds) is left alone."""
        reading, inserting, adding_keys, deleting, moving_keys, last_ordinal = self._statements[:6]
        inserted = batch.inserted(self.entries)
        keyed = batch.keyed(self.entries, "id")
        rows = [r for r in inserted if r["id"] not in keyed]  # new, as written
        if keyed:
            rows += batch.select(reading, {"ids": json.dumps(sorted(keyed))})
        if not rows:
            return
        ordinals: dict[int, int] = {}
        if inserted:
            last = batch.select(last_ordinal)[0]["last"]
            ordinals = {r["seq"]: last + i for i, r in enumerate(inserted, 1)}
        indexed = {}  # entries indexed before this batch: seq -> FTS row id (None: not listed)
        old: dict[int, dict[str, Any]] = {}  # FTS row id -> that row's values, as stored
        for r in rows:
            if r["seq"] not in ordinals and r.get("key_ordinal") is not None:
                seq, rowid = r["seq"], r["key_fts_rowid"]
                ordinals[seq], indexed[seq] = r["key_ordinal"], rowid
                if rowid is not None:
                    old[rowid] = {c: r[f"old_{c}"] for c in FTS_COLUMNS}
        keys, listed = self._rows(rows, ordinals)
        unchanged = {f["rowid"] for f in listed if (o := old.get(f["rowid"])) is not None and all(o[c] == f[c] for c in FTS_COLUMNS)}
        if unchanged:
            listed = [f for f in listed if f["rowid"] not in unchanged]
        gone = [{"rowid": r} for r in sorted(r for r in indexed.values() if r is not None and r not in unchanged)]  # in row-id order too (see _rows)
        if gone:
            batch.execute(deleting, gone)
        if listed:
            batch.execute(inserting, listed)
        removed = [t for g in gone if (t := old[g["rowid"]]["search_text"]) is not None]
        self._count(batch, [r["search_text"] for r in listed], removed)
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
        """What :meth:`reindex` runs, made once (a statement built per command cost more than running it).
        The reads take their keys as one JSON array rather than an expanded ``IN`` list: a
        statement of fixed text, which runs on the cursor (:mod:`projections.direct`) however
        many keys; an expanded list went through SQLAlchemy's whole execution each time,
        an eighth of a one-user command (issue 12, ``benchmarks/bench_http.py``)."""
        e = self.entries.c
        columns, values = ", ".join(FTS_COLUMNS), ", ".join(f":{c}" for c in FTS_COLUMNS)
        ids = select(func.json_each(bindparam("ids", type_=String)).table_valued("value").c.value)
        keys = table(self.keys, column("seq", Integer), column("ordinal", Integer), column("fts_rowid", Integer))
        fts = table(self.name, column("rowid", Integer), *[column(c, String) for c in FTS_COLUMNS])
        return (
            # An entry, its keys row and its FTS row as stored (JSON columns as text, as written).
            select(
                e.seq,
                e.listed,
                *[e[c] for c in FTS_COLUMNS],
                keys.c.ordinal.label("key_ordinal"),
                keys.c.fts_rowid.label("key_fts_rowid"),
                *[fts.c[c].label(f"old_{c}") for c in FTS_COLUMNS],
            )
            .select_from(self.entries.outerjoin(keys, keys.c.seq == e.seq).outerjoin(fts, fts.c.rowid == keys.c.fts_rowid))
            .where(e.id.in_(ids)),
            text(f"INSERT INTO {self.name} (rowid, {columns}) VALUES (:rowid, {values})"),
            text(f"INSERT INTO {self.keys} (seq, ordinal, fts_rowid) VALUES (:seq, :ordinal, :fts_rowid)"),
            text(f"DELETE FROM {self.name} WHERE rowid = :rowid"),
            text(f"UPDATE {self.keys} SET fts_rowid = :fts_rowid WHERE seq = :seq"),
            text(f"SELECT coalesce(max(ordinal), 0) AS last FROM {self.keys}"),
            text(f"INSERT INTO {self.counts} (trigram, entries) VALUES (:trigram, :entries) ON CONFLICT (trigram) DO UPDATE SET entries = entries + excluded.entries"),
            text(f"DELETE FROM {self.counts} WHERE trigram = :trigram AND entries = 0"),
        )
