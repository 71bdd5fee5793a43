"""The whole event history, in order, streamed in batches: memory stays flat
however long the history is."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TextIO

from sema import spreadsheet_safe
from sema.audit.records import FIELDS, AuditRecord
from sema.audit.stream import stored_events
from sema.application import SemaApplication

FORMATS = ("jsonl", "csv")
BATCH_SIZE = 2000


def audit_records(
    app: SemaApplication,
    *,
    after: int = 0,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[AuditRecord]:
    """Events after position ``after`` whose time is within [since, until], in position order.

    Times filter each event, not the scan: a command's time comes from its
    caller, so the history is in position order, not necessarily time order."""
    to_domain_event = app.mapper.to_domain_event
    for batch in stored_events(app, after, batch_size=batch_size):
        for notification in batch:
            event = to_domain_event(notification)
            if since is not None and event.timestamp < since:
                continue
            if until is not None and event.timestamp > until:
                continue
            yield AuditRecord.of(notification.id, event)
        if progress:
            progress(len(batch))


def write_records(records: Iterator[AuditRecord], out: TextIO, format: str) -> int:
    """Writes one record per line (JSON Lines) or per row (CSV, ``data`` as JSON); returns the count."""
    if format not in FORMATS:
        raise ValueError(f"format: must be one of {', '.join(FORMATS)}, not {format!r}")
    count = 0
    if format == "jsonl":
        for record in records:
            out.write(json.dumps(record.as_dict(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    else:
        rows = spreadsheet_safe.writer(out)
        rows.writerow(FIELDS)
        for record in records:
            row = record.as_dict()
            row["data"] = json.dumps(row["data"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            rows.writerow(row[name] for name in FIELDS)
            count += 1
    return count


def page(app: SemaApplication, *, after: int, limit: int, since: datetime | None = None, until: datetime | None = None) -> tuple[list[AuditRecord], int | None]:
    """One page for the HTTP API: the records among the next ``limit`` stored
    events after ``after``, and the position to continue from (``None`` at the end).
    With a time window a page may hold fewer records than it scanned, even none."""
    notifications = next(stored_events(app, after, batch_size=limit), [])
    records = []
    for notification in notifications:
        event = app.mapper.to_domain_event(notification)
        if (since is None or event.timestamp >= since) and (until is None or event.timestamp <= until):
            records.append(AuditRecord.of(notification.id, event))
    return records, (notifications[-1].id if len(notifications) == limit else None)
