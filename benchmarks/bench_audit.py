"""Auditors' tools at 200,000 events on a SQLite file: export (decode, JSON
Lines) and verify (recompute the ledger's chain), beside the bare library
reading and decoding the same events."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder

from common import fresh_sqlite_settings, median_of, timed

from domain.actors import system_actor
from sema.application import MAX_BULK, NewUser
from sema.audit.export import audit_records, write_records
from sema.audit.verify import Verifier
from sema.bootstrap import build_application

# The bare library's read of notifications (sema's recorder reads them by a prepared Core select)
bare_select = SQLAlchemyApplicationRecorder.select_notifications

EVENTS = 200_000
RUNS = 3


def _grow(app: object, events: int) -> int:
    """Users added 500 at a time (about four events each) until the history is long enough."""
    actor, moment = system_actor("benchmark"), datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    organisation_id = app.register_organisation(actor, moment, name="Bench Chambers", code="bench", account_type="mailbox")  # type: ignore[attr-defined]
    batch = 0
    while (app.recorder.max_notification_id() or 0) < events:  # type: ignore[attr-defined]
        app.add_users(actor, moment, organisation_id, [NewUser(f"First{batch}x{n}", f"Last{n}") for n in range(MAX_BULK)])  # type: ignore[attr-defined]
        batch += 1
    return app.recorder.max_notification_id() or 0  # type: ignore[attr-defined]


def audit_at_200k() -> dict[str, float]:
    app = build_application(fresh_sqlite_settings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1))
    try:
        count = _grow(app, EVENTS)

        def decode() -> None:
            after = 0
            while batch := bare_select(app.recorder, start=after, limit=2000, inclusive_of_start=False):
                for notification in batch:
                    app.mapper.to_domain_event(notification)
                after = batch[-1].id

        def export() -> None:
            with open(os.devnull, "w", encoding="utf-8") as out:
                write_records(audit_records(app), out, "jsonl")

        def verify() -> None:
            if not Verifier(app).verify().ok:
                raise RuntimeError("the benchmark's own history did not verify")

        return {
            "audit_events": float(count),
            "audit_baseline_decode_events_per_s": count / median_of(RUNS, lambda: timed(decode)),
            "audit_export_events_per_s": count / median_of(RUNS, lambda: timed(export)),
            "audit_verify_events_per_s": count / median_of(RUNS, lambda: timed(verify)),
        }
    finally:
        app.close()
        app.engine.dispose()


BENCHMARKS = {"audit": audit_at_200k}
