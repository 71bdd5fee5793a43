"""Claimed values by their number: a side table beside the claim aggregates, so
the lowest free numbers of a name are found in one query (ADR 44, option B of ADR 30).

One row per claim aggregate: its namespace, value and whether it is held, and,
when the value has the shape numbering gives (``ann.lee``, ``ann.lee2``,
``ann.lee401@org.example``), its *stem* (the value without the number) and
the number (1 for no digits). The rows are written by an inline processor in
the transaction that records the claim's events, so they are always in step
with the claims; the claims stay the guarantee of uniqueness (a plan made
from this table that a concurrent command beat still fails at the save).

A store made before this table gets it filled from the claims' events once,
when opened, under the events table's lock (PostgreSQL) or SQLite's writer lock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording
from eventsourcing.utils import get_topic
from sqlalchemy import Boolean, Connection, Engine, Index, Integer, String, Uuid, bindparam, func, inspect, or_, select, text
from sqlalchemy.orm import Session

from domain.claims import Claim
from domain.naming import with_number
from sema.side_tables import create_side_table, side_table

claimed_numbers_table = side_table(
    "sema_claimed_numbers",
    key={"claim_id": Uuid},
    required={"namespace": String(40), "value": String(320), "held": Boolean},
    optional={"stem": String(320), "number": Integer},
    indexes=[Index("ix_sema_claimed_numbers_stem", "namespace", "stem", "held", "number")],
)
CLAIM_TOPICS = [get_topic(Claim.Claimed), get_topic(Claim.Reclaimed), get_topic(Claim.Released)]
FILL_BATCH = 5000
# A gap of free numbers: from its first to its last (None: no end).
Gap = tuple[int, int | None]


def stem_and_number(value: str) -> tuple[str, int] | None:
    """``ann.lee401@org.example`` → (``ann.lee@org.example``, 401); ``ann.lee`` → (``ann.lee``, 1).
    The number is the run of digits ending the part before the last ``@``; values
    numbering cannot give (``ann.lee1``, ``ann.lee02``) have none."""
    local, at, domain = value.rpartition("@") if "@" in value else (value, "", "")
    digits = len(local) - len(local.rstrip("0123456789"))
    if not digits:
        return value, 1
    suffix = local[-digits:]
    if suffix[0] == "0" or suffix == "1" or digits == len(local):
        return None
    return f"{local[:-digits]}{at}{domain}", int(suffix)


def numbered_stem(base: str, render: Callable[[str], str]) -> str | None:
    """The stem whose numbers are ``render(with_number(base, n))``, if this table
    can answer for it: not when the base ends in digits (``lee2`` numbered is
    ``lee22``, which is also ``lee`` numbered 22), nor for a rendering that puts
    the number elsewhere."""
    stem = render(base)
    if stem_and_number(stem) != (stem, 1) or stem_and_number(render(with_number(base, 2))) != (stem, 2):
        return None
    return stem


def first_free(base: str, gaps: Sequence[Gap], count: int, render: Callable[[str], str], skipped: set[str]) -> list[str]:
    """The ``count`` lowest renderings of ``base`` numbered in ``gaps``, but none in ``skipped``."""
    found: list[str] = []
    for first, last in gaps:
        n = first
        while len(found) < count and (last is None or n <= last):
            value = render(with_number(base, n))
            if value not in skipped:
                found.append(value)
            n += 1
    return found


def _row(claim_id: UUID, namespace: str, value: str, held: bool) -> dict[str, Any]:
    numbered = stem_and_number(value)
    stem, number = numbered if numbered else (None, None)
    return {"claim_id": claim_id, "namespace": namespace, "value": value, "held": held, "stem": stem, "number": number}


class ClaimedNumbers:
    def __init__(self, app: Any) -> None:
        self.app = app

    def create(self) -> None:
        """The table, filled from the claims' events if this store had none."""
        engine: Engine = self.app.engine
        if inspect(engine).has_table(claimed_numbers_table.name):
            return
        create_side_table(claimed_numbers_table, engine)
        self.fill()

    def fill(self) -> None:
        """Every claim's row, from its events, in one transaction that no command's
        events can commit into: PostgreSQL's events table lock is taken first;
        on SQLite the first statement (a delete) takes the writer's lock."""
        claims: dict[UUID, list[Any]] = {}
        recorder, mapper = self.app.recorder, self.app.mapper
        with recorder.transaction(commit=True) as session:
            recorder._lock_table(session)  # the events insert's own lock (PostgreSQL; nothing on SQLite)
            session.connection().execute(claimed_numbers_table.delete())
            start = 0
            while batch := recorder.select_notifications(start, FILL_BATCH, topics=CLAIM_TOPICS, inclusive_of_start=False):
                for notification in batch:
                    event = mapper.to_domain_event(notification)
                    if isinstance(event, Claim.Claimed):
                        claims[event.originator_id] = [event.namespace, event.value, True]
                    elif event.originator_id in claims:
                        claims[event.originator_id][2] = not isinstance(event, Claim.Released)
                start = batch[-1].id
            rows = [_row(claim_id, namespace, value, held) for claim_id, (namespace, value, held) in claims.items()]
            for first in range(0, len(rows), FILL_BATCH):
                session.connection().execute(claimed_numbers_table.insert(), rows[first : first + FILL_BATCH])

    def record(self, session: Session, recordings: Sequence[Recording]) -> None:
        """Inline processor: the rows of the claims this command claimed, reclaimed or released."""
        new: list[dict[str, Any]] = []
        held: dict[UUID, bool] = {}
        for recording in recordings:
            event = recording.domain_event
            if isinstance(event, Claim.Claimed):
                new.append(_row(event.originator_id, event.namespace, event.value, True))
            elif isinstance(event, (Claim.Reclaimed, Claim.Released)):
                held[event.originator_id] = isinstance(event, Claim.Reclaimed)
        if not new and not held:
            return  # most commands claim nothing: not even the session's connection asked for
        connection = session.connection()
        if new and connection.dialect.name == "postgresql":
            connection.execute(_INSERT_ARRAYS, {column: [row[column] for row in new] for column in _COLUMNS})
        elif new:
            connection.execute(claimed_numbers_table.insert(), new)
        for value in (True, False):
            ids = [claim_id for claim_id, is_held in held.items() if is_held == value]
            if ids:
                connection.execute(_SET_HELD, {"is_held": value, "ids": ids})

    def gaps(self, connection: Connection, namespace: str, stems: Sequence[str]) -> dict[str, list[Gap]]:
        """For each stem, its runs of free numbers in order (the last without end), in one query."""
        found: dict[str, list[Gap]] = {stem: [] for stem in stems}
        previous: dict[str, int] = {}
        for stem, number, following in connection.execute(self._gaps_statement, {"namespace": namespace, "stems": list(stems)}):
            if stem not in previous and number > 1:
                found[stem].append((1, number - 1))
            previous[stem] = number
            if following is None or following > number + 1:
                found[stem].append((number + 1, None if following is None else following - 1))
        for stem in stems:
            if stem not in previous:
                found[stem].append((1, None))
        return found

    def taken(self, connection: Connection, claim_ids: Sequence[UUID]) -> set[UUID]:
        """Which of these claims are held now (by their keys, not a ranking of a stem's numbers)."""
        if not claim_ids:
            return set()
        return set(connection.execute(_TAKEN, {"ids": list(claim_ids)}).scalars())

    @functools.cached_property
    def _gaps_statement(self) -> Any:
        """Held numbers of the stems where a gap starts (and each stem's lowest), with the next held number."""
        c = claimed_numbers_table.c
        order = {"partition_by": c.stem, "order_by": c.number}
        held = (
            select(c.stem, c.number, func.lead(c.number).over(**order).label("following"), func.row_number().over(**order).label("rank"))
            .where(c.namespace == bindparam("namespace"), c.stem.in_(bindparam("stems", expanding=True)), c.held)
            .subquery()
        )
        gap_starts = or_(held.c.rank == 1, held.c.following.is_(None), held.c.following > held.c.number + 1)
        return select(held.c.stem, held.c.number, held.c.following).where(gap_starts).order_by(held.c.stem, held.c.number)


_TAKEN = select(claimed_numbers_table.c.claim_id).where(claimed_numbers_table.c.claim_id.in_(bindparam("ids", expanding=True)), claimed_numbers_table.c.held)
_SET_HELD = claimed_numbers_table.update().where(claimed_numbers_table.c.claim_id.in_(bindparam("ids", expanding=True))).values(held=bindparam("is_held"))
_COLUMNS = ("claim_id", "namespace", "value", "held", "stem", "number")
# PostgreSQL: one statement of fixed text for any number of rows (psycopg inserts an executemany row by row).
_INSERT_ARRAYS = text(
    f"INSERT INTO {claimed_numbers_table.name} ({', '.join(_COLUMNS)}) SELECT * FROM unnest(CAST(:claim_id AS uuid[]), "
    "CAST(:namespace AS text[]), CAST(:value AS text[]), CAST(:held AS boolean[]), CAST(:stem AS text[]), CAST(:number AS integer[]))"
)
