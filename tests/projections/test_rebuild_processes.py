"""A rebuild whose fill is split across processes (ADR 58) leaves the same rows
as one in a single process, on either store; a failure in any process leaves
the live tables serving and no scratch file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from domain.actors import Actor
from projections import fill_processes, queries
from projections.batch import Batch
from projections.registry import all_read_models
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock

from testkit.read_side import read, snapshot, varied_history

EVERY = ("directory", "admin_search", "routing", "mail", "address_book", "grants", "ledger", "due", "outbox", "principals")


def _scratch_files(app: SemaApplication) -> list[str]:
    database = app.engine.url.database
    if app.engine.dialect.name != "sqlite" or not database:
        return []
    return [p.name for p in Path(database).parent.iterdir() if ".rebuild-" in p.name]


def _groups_elsewhere(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The read models each rebuild gave other processes, recorded."""
    given: list[list[str]] = []
    original = fill_processes.elsewhere

    def recorded(projections: object, groups: list[list[object]], batch_size: int) -> object:
        given.append([m.name for group in groups for m in group])  # type: ignore[attr-defined]
        return original(projections, groups, batch_size)  # type: ignore[arg-type]

    monkeypatch.setattr(fill_processes, "elsewhere", recorded)
    return given


def test_a_rebuild_in_two_processes_leaves_the_rows_of_one_in_one_process(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_history(app, service_admin, clock)
    kept_inline = snapshot(app, EVERY)
    elsewhere = _groups_elsewhere(monkeypatch)
    app.projections.rebuild(EVERY, batch_size=7, processes=1)
    in_one = snapshot(app, EVERY)
    assert in_one == kept_inline
    for batch_size in (1, 7, 10_000):
        app.projections.rebuild(EVERY, batch_size=batch_size, processes=2)
        assert snapshot(app, EVERY) == in_one, f"batches of {batch_size}"
    assert elsewhere[0] == [] and all(elsewhere[1:]) and len(elsewhere) == 4  # the other process did fill some
    assert _scratch_files(app) == []


def test_events_recorded_during_a_rebuild_in_two_processes_are_in_every_swapped_table(
    app: SemaApplication, clock: SettableClock, service_admin: Actor
) -> None:
    varied_history(app, service_admin, clock)
    org = app.register_organisation(service_admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    added: list[object] = []

    def add_a_user_midway(count: int) -> None:
        if not added:
            added.append(app.add_users(service_admin, clock.now(), org, [NewUser("Late", "Comer")])[0])

    app.projections.rebuild(EVERY, batch_size=5, progress=add_a_user_midway, processes=2)
    assert added
    rebuilt = snapshot(app, EVERY)
    app.projections.rebuild(EVERY, processes=1)
    assert rebuilt == snapshot(app, EVERY)
    assert len(read(app, queries.search_directory, "late comer")) == 1


def test_a_fill_failing_in_another_process_fails_the_rebuild_and_the_live_tables_serve_on(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_history(app, service_admin, clock)
    served = snapshot(app, EVERY)
    here = os.getpid()
    original = Batch.flush

    def fail_elsewhere(self: Batch) -> None:
        if os.getpid() != here:
            raise RuntimeError("the other process's fill broke")
        original(self)

    monkeypatch.setattr(Batch, "flush", fail_elsewhere)
    with pytest.raises(RuntimeError, match="the other process's fill broke"):
        app.projections.rebuild(("directory", "admin_search"), batch_size=5, processes=2)
    assert snapshot(app, EVERY) == served
    assert _scratch_files(app) == []
    monkeypatch.setattr(Batch, "flush", original)
    app.projections.rebuild(EVERY, processes=2)
    assert snapshot(app, EVERY) == served


def test_a_rebuild_stopped_here_stops_the_other_process_and_removes_its_scratch_file(
    app: SemaApplication, clock: SettableClock, service_admin: Actor
) -> None:
    varied_history(app, service_admin, clock)
    served = snapshot(app, EVERY)

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        app.projections.rebuild(EVERY, batch_size=3, progress=stop, processes=2)
    assert snapshot(app, EVERY) == served
    assert _scratch_files(app) == []


def test_the_split_keeps_the_text_index_here_on_sqlite_and_balances_the_rest() -> None:
    models = all_read_models()
    for model in models:
        model.dialect = "sqlite"
    here, other = fill_processes.split(models, 2, "sqlite")
    assert here[0].name == "directory"  # its FTS5 tables are filled in the store, not copied
    assert sorted(m.name for m in here + other) == sorted(m.name for m in models)
    cost_here = fill_processes.AFTER_FILL_COST + sum(m.rebuild_cost for m in here)
    cost_other = sum(m.rebuild_cost for m in other)
    assert abs(cost_here - cost_other) <= max(m.rebuild_cost for m in models if m.name != "directory")


def test_one_process_or_one_read_model_makes_one_group() -> None:
    models = all_read_models()
    assert [len(g) for g in fill_processes.split(models, 1, "postgresql")] == [len(models)]
    assert [[m.name for m in g] for g in fill_processes.split(models[:1], 2, "postgresql")] == [[models[0].name]]


def test_a_rebuild_needs_a_process(app: SemaApplication) -> None:
    with pytest.raises(ValueError):
        app.projections.rebuild(processes=0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqlite_a_connection_in_use_keeps_the_fill_in_this_process(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork would copy what SQLite knows of the store's locks (ADR 58)."""
    varied_history(app, service_admin, clock)
    served = snapshot(app, EVERY)
    elsewhere = _groups_elsewhere(monkeypatch)
    with app.engine.connect():
        app.projections.rebuild(EVERY, processes=2)
    assert elsewhere == [[]]
    assert snapshot(app, EVERY) == served
