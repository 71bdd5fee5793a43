"""However the history is cut into batches, every read model ends the same.

Rebuilding one event per batch is the reference: then no handler can read
rows an earlier event of its batch left unwritten. The history is made of
events whose handlers read what the events just before them wrote (the
organisation a user joins, the row a rename rewrites, the mailbox a request
names, the user a notice is addressed to, a member removed and added back).
Frameworks that buffer wrongly are shown to fail this very check."""

from __future__ import annotations

from typing import Any

import pytest

import projections.batch
import projections.framework
from domain.actors import Actor
from projections.batch import Batch
from sema.application import SemaApplication
from sema.clock import SettableClock

from testkit.read_side import snapshot, varied_history

ALL = ("directory", "admin_search", "routing", "address_book", "grants", "ledger", "due", "outbox")


def _rebuilt(app: SemaApplication, batch_size: int) -> Any:
    """Every read model rebuilt in batches of ``batch_size`` events, or the error that stopped it."""
    try:
        app.projections.rebuild(ALL, batch_size=batch_size)
    except Exception as error:  # a broken framework may fail outright: that is caught too
        return type(error).__name__
    return snapshot(app, ALL)


def test_read_models_are_the_same_whatever_the_batch_size(app: SemaApplication, clock: SettableClock, service_admin: Actor) -> None:
    varied_history(app, service_admin, clock)
    kept_inline = snapshot(app, ALL)
    one_at_a_time = _rebuilt(app, 1)
    assert one_at_a_time == kept_inline
    for size in (2, 7, 50, 10_000):
        assert _rebuilt(app, size) == one_at_a_time, f"batches of {size}"


class ReadsBeforeWrites(Batch):
    """Deliberately wrong: reads do not wait for the writes queued before them."""

    def _flush_through(self, table: Any) -> None:
        pass


def test_the_check_catches_reads_that_miss_earlier_writes_of_their_batch(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_history(app, service_admin, clock)
    reference = _rebuilt(app, 1)
    monkeypatch.setattr(projections.framework, "Batch", ReadsBeforeWrites)
    assert _rebuilt(app, 10_000) != reference


def test_the_check_catches_writes_reordered_past_writes_to_the_same_rows(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_history(app, service_admin, clock)
    reference = _rebuilt(app, 1)
    monkeypatch.setattr(projections.batch, "independent", lambda *args: True)
    assert _rebuilt(app, 10_000) != reference
