"""PostgreSQL: the directory's trigrams in name order (issue 12, ADR 53).

pg_trgm's GIN index finds the entries having a trigram, but not in name
order: a fragment with thousands of matches bunched far down the order
("mit": Mitchell, Smith) had every candidate read and sorted. This side table
holds a row per distinct trigram (not all digits) of each listed entry's words, with the
entry's sort name and ``seq``; its btree on (trigram, sort name, seq) yields a
trigram's entries in name order, so a page stops after its 50th match.

The table is kept by triggers on the entries, in the same transaction as the
rows they follow (so exactly-once with the read model's tracking, and a
rebuild equals the incremental tables: the rows are a function of the
entries). Its trigrams are pg_trgm's (``show_trgm``) without the padded ones
at word edges: search texts are lower-case letters and digits in words (no
multi-byte characters reach it), so each trigram is its three characters.

It also holds a row per distinct pair of characters inside the entry's words
(not both digits): a two-letter word ("ki", "fo") has no trigram, and the
name index's walk read up to a quarter of the directory before its page was
full when its matches are bunched in a few surnames (Foster, Fox; ADR 54).
A pair's rows are its entries in name order, as a trigram's.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, Table, Text, text
from sqlalchemy.orm import Session

# The trigrams inside the words of a search text (pg_trgm's, less those padded at a word's
# edges), less those of three digits (telephone numbers: a seventh of the rows at 100,000
# users), whose queries have few candidates and take the trigram index; and the pairs inside
# its words, less those of two digits: each is the first or last two characters of one of
# pg_trgm's trigrams, padded or not (a word "ki" gives " ki" and "ki ").
TRIGRAMS_OF = (
    "SELECT DISTINCT g FROM unnest(show_trgm({text})) t, LATERAL (VALUES (t), (substr(t, 1, 2)), (substr(t, 2, 2))) grams (g) "
    "WHERE strpos(g, ' ') = 0 AND g !~ '^[0-9]+$'"
)


class DirectoryTrigrams:
    """The side table, its index and its triggers, for one copy of the directory (live or shadow)."""

    def __init__(self, entries: Table, suffix: str) -> None:
        self.entries = entries.name
        self.suffix = suffix
        self.name = f"sema_directory_trigrams{suffix}"
        # Named anew when pairs joined the trigrams (ADR 54): a store whose index has the
        # older name has its rows made again when opened.
        self.index = f"ix_sema_directory_grams_order{suffix}"
        self.function = f"sema_directory_trigrams_kept{suffix}"
        # For queries only: the table is made here, not by the read model's metadata (SQLite has none).
        self.table = Table(self.name, MetaData(), Column("trigram", Text), Column("sort_name", Text), Column("seq", BigInteger))

    def create(self, session: Session) -> None:
        """Made, or in a store made before it (no table, or no triggers), made and
        filled from the entries, once, when opened."""
        if self._complete(session):
            return
        session.execute(text(f"DROP TABLE IF EXISTS {self.name}"))
        session.execute(text(f"CREATE TABLE {self.name} (trigram text NOT NULL, sort_name text NOT NULL, seq bigint NOT NULL)"))
        self.fill(session)
        self.keep(session)

    def _complete(self, session: Session) -> bool:
        found = session.execute(
            text("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(:entries) AND tgname LIKE :triggers AND to_regclass(:index) IS NOT NULL"),
            {"entries": self.entries, "triggers": f"{self.name}\\_%", "index": self.index},
        ).scalar_one()
        return found == 3

    def fill(self, session: Session) -> None:
        """The rows of every listed entry, then the index (quicker than row by row)."""
        session.execute(text(f"DROP INDEX IF EXISTS {self.index}"))
        session.execute(text(f"TRUNCATE {self.name}"))
        session.execute(
            text(
                f"INSERT INTO {self.name} (trigram, sort_name, seq) "
                f"SELECT t.g, e.sort_name, e.seq FROM {self.entries} e, LATERAL ({TRIGRAMS_OF.format(text='e.search_text')}) t WHERE e.listed"
            )
        )
        session.execute(text(f"CREATE INDEX {self.index} ON {self.name} (trigram, sort_name, seq)"))
        session.execute(text(f"ANALYZE {self.name}"))  # a list's statement is planned from its trigram's rows

    def keep(self, session: Session) -> None:
        """The triggers that keep the rows with the entries' (after a rebuild's swap,
        again under the live names: a trigger's function names its tables)."""
        session.execute(
            text(
                f"""CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.listed THEN
    DELETE FROM {self.name} WHERE trigram IN ({TRIGRAMS_OF.format(text='OLD.search_text')}) AND sort_name = OLD.sort_name AND seq = OLD.seq;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.listed THEN
    INSERT INTO {self.name} (trigram, sort_name, seq) SELECT t, NEW.sort_name, NEW.seq FROM ({TRIGRAMS_OF.format(text='NEW.search_text')}) found (t);
  END IF;
  RETURN NULL;
END $$"""
            )
        )
        self.drop_triggers(session)
        changed = "OLD.listed IS DISTINCT FROM NEW.listed OR OLD.sort_name IS DISTINCT FROM NEW.sort_name OR OLD.search_text IS DISTINCT FROM NEW.search_text"
        for event, when in (("INSERT", "NEW.listed"), ("UPDATE OF listed, sort_name, search_text", changed), ("DELETE", "OLD.listed")):
            name = f"{self.name}_{event.split()[0].lower()}"
            session.execute(text(f"CREATE TRIGGER {name} AFTER {event} ON {self.entries} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {self.function}()"))

    def drop_triggers(self, session: Session, on: str | None = None, named: str | None = None) -> None:
        """Drops this copy's triggers (or those named for ``named``'s table on table ``on``)."""
        for event in ("insert", "update", "delete"):
            session.execute(text(f"DROP TRIGGER IF EXISTS {named or self.name}_{event} ON {on or self.entries}"))

    def after_swap(self, session: Session, shadow: DirectoryTrigrams) -> None:
        """The shadow's table and entries now have the live names: its index takes the
        live name, and the entries' triggers are made again under the live names."""
        session.execute(text(f"ALTER INDEX IF EXISTS {shadow.index} RENAME TO {self.index}"))
        self.drop_triggers(session, on=self.entries, named=shadow.name)
        self.keep(session)
        session.execute(text(f"DROP FUNCTION IF EXISTS {shadow.function}()"))
