"""Numbered allocations on PostgreSQL: who waits for whom (ADR 34, refined by ADR 45).

Two commands numbering the same names at once would plan the same lowest free
numbers (``ann.lee7``) and one of them would lose at the save and re-run, again
and again under load. ADR 34 made them take turns on one advisory lock held to
commit, which serialised every clashing bulk add from its planning to its
commit (issue 12: most of the twelve clients queued there).

Now a small numbering (at most ``SMALL`` rows, every base answered by the side
table of claimed numbers) takes that lock *shared* and, for each value it
chooses, a transaction advisory lock of its own, tried without waiting: a value
another command has in flight is skipped, the next free one taken. What it
chose is then confirmed free by a fresh read (a command that committed between
the read of free numbers and the lock is seen). Large numberings, and names the
table cannot answer for, still take the lock exclusively, waiting for the small
ones in flight and holding off new ones. The claims stay the guarantee of
uniqueness; the locks only keep planners from choosing the same values.

SQLite: a process writes one command at a time anyway; across processes a
lost race re-runs (ADR 10).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.orm import Session

NUMBERING_LOCK = 0x73656D61  # "sema": the advisory lock numbered allocations take turns on
SMALL = 32  # rows numbered with per-value locks: two namespaces' values stay well within PostgreSQL's lock table
_TURN = "sema.numbering_turn"  # in the session's info: the turn this transaction took (locks last to its end)
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:key)")
_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key)")
_TRY = text("SELECT key FROM unnest(:keys) AS key WHERE pg_try_advisory_xact_lock(key)").bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


def take_turn(session: Session, rows: int, all_numbered: bool) -> bool:
    """Takes this transaction's numbering turn, once; whether values must be locked one by one
    (a shared turn) rather than being this command's alone (an exclusive turn, or SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    transaction = session.get_transaction()
    turn = session.info.get(_TURN)
    if turn is None or turn[0] is not transaction:
        shared = rows <= SMALL and all_numbered
        session.execute(_SHARED if shared else _EXCLUSIVE, {"key": NUMBERING_LOCK})
        turn = session.info[_TURN] = (transaction, shared)
    return bool(turn[1])


def lock_key(claim_id: UUID) -> int:
    """A value's advisory lock: the first 64 bits of its claim id."""
    return int.from_bytes(claim_id.bytes[:8], "big", signed=True)


def try_locks(connection: Connection, keys: Sequence[int]) -> set[int]:
    """The keys locked now (to the transaction's end); the others are held by another transaction."""
    return set(connection.execute(_TRY, {"keys": list(keys)}).scalars())


# For each stem, its lowest free values not in ``skipped``: from a fresh read of the
# held numbers if asked (``fresh``), else from the last read.
Candidates = Callable[[set[str], bool], dict[str, list[str]]]


def choose_locked(
    connection: Connection, candidates: Candidates, key_of: Callable[[str], int], taken: Callable[[list[str]], set[str]]
) -> dict[str, list[str]]:
    """Values chosen by ``candidates`` that this transaction holds the lock of and that
    are still free once locked: ``taken(values)``, read after the locks, finds none of
    them held. A value another transaction has locked is skipped and the next one taken
    from the same read; the held numbers are read again only when a chosen value was
    taken meanwhile. Each read ranks every held number of the stems (at 4,000 held
    numbers, 3.8 ms of PostgreSQL's time); clashing bulk adds had read them 7.5 times
    per numbering, once per round of skipped values (issue 12's statement log)."""
    mine: set[str] = set()
    skipped: set[str] = set()
    chosen = candidates(skipped, True)
    while True:
        values = [v for vs in chosen.values() for v in vs]
        new = [v for v in values if v not in mine]
        if new:
            keys = {v: key_of(v) for v in new}
            locked = try_locks(connection, sorted(set(keys.values())))
            mine |= {v for v, k in keys.items() if k in locked}
            skipped |= {v for v, k in keys.items() if k not in locked}
        if not all(v in mine for v in values):
            chosen = candidates(skipped, False)
        elif taken(values):
            chosen = candidates(skipped, True)
        else:
            return chosen  # every value is this transaction's to claim, and none was claimed meanwhile
