"""The stored events in position order, read in batches with plain SQL.

The recorder's ``select_notifications`` goes through the ORM: every batch builds
an identity map whose reference cycles only the cyclic garbage collector frees,
so a long scan's memory peaks well above its steady state. Auditors' scans read
millions of rows, so they use Core selects: rows in, rows out, freed at once."""

from __future__ import annotations

from collections.abc import Iterator

from eventsourcing.persistence import Notification
from sqlalchemy import select

from sema.application import SemaApplication

BATCH_SIZE = 2000


def stored_events(app: SemaApplication, after: int = 0, stop: int | None = None, batch_size: int = BATCH_SIZE) -> Iterator[list[Notification]]:
    """Batches of the stored records after position ``after`` (up to ``stop``), oldest first."""
    table = app.recorder.events_record_cls.__table__
    columns = (table.c.id, table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state)
    while True:
        query = select(*columns).where(table.c.id > after)
        if stop is not None:
            query = query.where(table.c.id <= stop)
        with app.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.id).limit(batch_size)).all()
        if not rows:
            return
        yield [Notification(id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=bytes(r[4])) for r in rows]
        after = rows[-1][0]
        if len(rows) < batch_size:
            return
