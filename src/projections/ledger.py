"""The tamper-evident ledger: every stored event, in notification order, chained.

``link(n) = SHA-256(link(n-1) || canonical bytes of stored event n)``, starting
from 32 zero bytes. The canonical bytes are the stored record exactly as the
event table holds it (notification id, originator id, version, topic, state),
length-prefixed so no two records encode alike. The ledger is a read model like
any other: kept inline in the command's transaction, tracked, rebuildable.

``sema audit verify`` recomputes the chain from the event table and compares:
an event altered, removed or inserted behind the application's back shows at
its position. An auditor who keeps a head (``sema audit digest``) can later
prove that nothing up to it changed, even if someone rewrote both the events
and this table.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import BigInteger, Select, String, func, select
from sqlalchemy.orm import Session

from projections.batch import Batch
from projections.framework import ReadModel
from projections.source import Position
from projections.tables import ROW_KEY, key, required, table, text_id

GENESIS = bytes(32)
_U64 = struct.Struct(">Q")


def canonical_bytes(notification_id: int, originator_id: UUID | str, originator_version: int, topic: str, state: bytes) -> bytes:
    """The stored record as bytes: fixed-width numbers, the id's 16 bytes, length-prefixed text and state."""
    uuid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    topic_bytes = topic.encode("utf-8")
    return b"".join(
        (
            _U64.pack(notification_id),
            uuid.bytes,
            _U64.pack(originator_version),
            _U64.pack(len(topic_bytes)),
            topic_bytes,
            _U64.pack(len(state)),
            bytes(state),
        )
    )


def next_link(previous: bytes, notification: Notification) -> bytes:
    record = canonical_bytes(notification.id, notification.originator_id, notification.originator_version, notification.topic, notification.state)
    return hashlib.sha256(previous + record).digest()


class Ledger(ReadModel):
    """One row per event: its position, which aggregate version it is, and the chain link up to it."""

    name = "ledger"
    rebuild_cost = 2.1

    links = table(
        "sema_ledger", key("notification_id", ROW_KEY), required("originator_id"), required("originator_version", BigInteger), required("link", String(64))
    )

    @functools.cached_property
    def _last_link(self) -> Select[tuple[int, str]]:
        return select(self.links.c.notification_id, self.links.c.link).order_by(self.links.c.notification_id.desc()).limit(1)

    def head(self, session: Session) -> tuple[int, bytes]:
        """The last chained position and its link; ``(0, GENESIS)`` when empty."""
        row = session.execute(self._last_link).first()
        return (0, GENESIS) if row is None else (int(row[0]), bytes.fromhex(row[1]))

    def count(self, session: Session) -> int:
        return int(session.execute(select(func.count()).select_from(self.links)).scalar_one())

    def takes_any(self, positions: Sequence[Position]) -> bool:
        return bool(positions)  # every record is folded into the chain

    def apply(self, batch: Batch, positions: Sequence[Position]) -> None:
        """Every stored record is chained, whatever its event, so the ledger folds the records instead of handling event types."""
        last = batch.select(self._last_link)
        previous = bytes.fromhex(last[0]["link"]) if last else GENESIS
        for position in positions:
            previous = next_link(previous, position.notification)
            batch.insert(
                self.links,
                {
                    "notification_id": position.notification_id,
                    "originator_id": text_id(position.notification.originator_id),
                    "originator_version": position.notification.originator_version,
                    "link": previous.hex(),
                },
            )
