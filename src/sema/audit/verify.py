"""Recompute the ledger's chain from the event table and compare, position by position."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eventsourcing.persistence import Notification
from sqlalchemy import select
from sqlalchemy.orm import Session

from projections.ledger import GENESIS, Ledger, next_link
from sema.audit.stream import stored_events
from sema.application import SemaApplication

BATCH_SIZE = 5000


@dataclass(frozen=True)
class Digest:
    """A ledger head an auditor keeps: the chain up to ``position`` hashes to ``link``."""

    position: int
    link: str

    def __str__(self) -> str:
        return f"{self.position}:{self.link}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        position, sep, link = text.strip().partition(":")
        link = link.lower()
        if not sep or not (position.isascii() and position.isdigit()) or len(link) != 64 or any(c not in "0123456789abcdef" for c in link):
            raise ValueError(f"digest: expected POSITION:SHA256-HEX (as printed by `sema audit digest`), got {text!r}")
        return cls(int(position), link)


@dataclass(frozen=True)
class Discrepancy:
    """The first place where the event table and the ledger disagree.

    ``kind``: ``altered`` (the event at this position is not the one chained),
    ``removed`` (the ledger chained an event the table no longer has),
    ``inserted`` (the table has an event the ledger never chained),
    ``digest`` (the chain up to a kept digest no longer hashes to it)."""

    position: int
    kind: str
    detail: str


@dataclass(frozen=True)
class Verification:
    checked: int
    head: Digest
    discrepancy: Discrepancy | None

    @property
    def ok(self) -> bool:
        return self.discrepancy is None


@dataclass(frozen=True)
class _Link:
    notification_id: int
    originator_id: str
    originator_version: int
    link: str


def _describe(originator_id: object, version: int) -> str:
    return f"aggregate {originator_id} version {version}"


class Verifier:
    def __init__(self, app: SemaApplication, ledger: Ledger | None = None, batch_size: int = BATCH_SIZE) -> None:
        self.app = app
        self.ledger = ledger or Ledger()
        self.batch_size = batch_size

    def digest(self) -> Digest:
        with Session(self.app.engine) as session:
            position, link = self.ledger.head(session)
        return Digest(position, link.hex())

    def verify(self, digest: Digest | None = None, progress: Callable[[int], None] | None = None) -> Verification:
        previous, after, checked = GENESIS, 0, 0
        while True:
            with Session(self.app.engine) as session:
                tracked = self.ledger.position(session)
            discrepancy, previous, after, count = self._verify_range(previous, after, tracked, digest, progress)
            checked += count
            if discrepancy is not None:
                return Verification(checked, Digest(after, previous.hex()), discrepancy)
            beyond = next(stored_events(self.app, after, batch_size=1), [])
            if not beyond:
                break
            with Session(self.app.engine) as session:
                now_tracked = self.ledger.position(session)
            if now_tracked > tracked:
                continue  # commands committed while we read: their events are chained, verify them too
            event = beyond[0]
            return Verification(
                checked,
                Digest(after, previous.hex()),
                Discrepancy(
                    event.id,
                    "inserted",
                    f"the event at position {event.id} ({_describe(event.originator_id, event.originator_version)}) is not in the ledger: "
                    "it was written outside the application, or the ledger is kept by a follower that is behind "
                    "(run `sema projections run` and verify again)",
                ),
            )
        if digest is not None and digest.position > after:
            return Verification(checked, Digest(after, previous.hex()), Discrepancy(digest.position, "digest", f"the kept digest is at position {digest.position}, beyond the last event ({after})"))
        return Verification(checked, Digest(after, previous.hex()), None)

    def _verify_range(
        self, previous: bytes, after: int, stop: int, digest: Digest | None, progress: Callable[[int], None] | None
    ) -> tuple[Discrepancy | None, bytes, int, int]:
        """Merges the event table and the ledger over (after, stop]; stops at the first disagreement.
        Returns it (or None) with the link and position verified up to, and how many were checked."""
        events = self._events(after, stop)
        links = self._links(after, stop)
        event, link = next(events, None), next(links, None)
        checked = 0
        while event is not None or link is not None:
            if event is not None and (link is None or event.id < link.notification_id):
                return Discrepancy(event.id, "inserted", f"the event at position {event.id} ({_describe(event.originator_id, event.originator_version)}) was never chained in the ledger: it was inserted outside the application"), previous, after, checked
            if event is None or (link is not None and link.notification_id < event.id):
                assert link is not None  # the loop runs while either is left
                return Discrepancy(link.notification_id, "removed", f"the event at position {link.notification_id} ({_describe(link.originator_id, link.originator_version)}) is chained in the ledger but missing from the event table: it was removed"), previous, after, checked
            if digest is not None and after < digest.position < event.id:
                return self._digest_mismatch(digest), previous, after, checked
            chained = next_link(previous, event)
            if chained.hex() != link.link:
                return Discrepancy(event.id, "altered", f"the event at position {event.id} ({_describe(event.originator_id, event.originator_version)}) is not the event the ledger chained: it was altered"), previous, after, checked
            if digest is not None and event.id == digest.position and chained.hex() != digest.link:
                return self._digest_mismatch(digest), previous, after, checked
            previous, after = chained, event.id
            checked += 1
            if progress and checked % self.batch_size == 0:
                progress(self.batch_size)
            event, link = next(events, None), next(links, None)
        if progress and checked % self.batch_size:
            progress(checked % self.batch_size)
        return None, previous, after, checked

    @staticmethod
    def _digest_mismatch(digest: Digest) -> Discrepancy:
        return Discrepancy(digest.position, "digest", f"the history up to position {digest.position} no longer hashes to the digest you kept: something at or before it changed (events and ledger rewritten together)")

    def _events(self, after: int, stop: int) -> Iterator[Notification]:
        if after < stop:
            for batch in stored_events(self.app, after, stop, self.batch_size):
                yield from batch

    def _links(self, after: int, stop: int) -> Iterator[_Link]:
        table = self.ledger.links
        while after < stop:
            with Session(self.app.engine) as session:
                rows = session.execute(
                    select(table.c.notification_id, table.c.originator_id, table.c.originator_version, table.c.link)
                    .where(table.c.notification_id > after, table.c.notification_id <= stop)
                    .order_by(table.c.notification_id)
                    .limit(self.batch_size)
                ).all()
            yield from (_Link(int(r[0]), r[1], int(r[2]), r[3]) for r in rows)
            if len(rows) < self.batch_size:
                return
            after = int(rows[-1][0])
