"""A rebuild's fill runs on one SQLite connection with a larger page cache
and a larger WAL checkpoint threshold, and no pooled connection keeps those
settings afterwards, whether the fill ends or fails part-way."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from domain.actors import Actor
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock

from testkit.read_side import snapshot


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (the page cache is SQLite's setting): overrides the conftest's, which gives both stores."""
    return f"sqlite:///{tmp_path / 'sema.db'}"


def _cache_sizes(app: SemaApplication) -> list[tuple[int, int]]:
    """The page cache and WAL checkpoint threshold of every connection the pool
    holds (taken all at once, so none is asked twice)."""
    connections = [app.engine.connect() for _ in range(app.engine.pool.checkedin() or 1)]
    try:
        return [(c.exec_driver_sql("PRAGMA cache_size").scalar_one(), c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()) for c in connections]
    finally:
        for c in connections:
            c.close()


def _some_users(app: SemaApplication, admin: Actor, clock: SettableClock) -> None:
    at = clock.now()
    org = app.register_organisation(admin, at, name="Org One", code="org", account_type="mailbox")
    app.add_users(admin, at, org, [NewUser("Peter", "Pan"), NewUser("Wendy", "Darling")])


def test_the_fill_page_cache_is_set_back_after_a_rebuild(clock, service_admin, app):
    _some_users(app, service_admin, clock)
    before = _cache_sizes(app)
    app.projections.rebuild(["directory"], batch_size=2)
    assert set(_cache_sizes(app)) == set(before)


def test_the_fill_page_cache_is_set_back_when_a_rebuild_fails_part_way(clock, service_admin, app, monkeypatch):
    _some_users(app, service_admin, clock)
    before, served = _cache_sizes(app), snapshot(app, ("directory",))

    def fail(_: int) -> None:
        raise RuntimeError("stopped part-way")

    with pytest.raises(RuntimeError):
        app.projections.rebuild(["directory"], batch_size=2, progress=fail)
    assert set(_cache_sizes(app)) == set(before)
    assert snapshot(app, ("directory",)) == served  # the old tables still serve, intact
    assert gc.get_freeze_count() == 0  # the heap the fill left out of full collections is back in them


def test_a_rebuild_leaves_the_collector_as_it_found_it(clock, service_admin, app):
    """The fill leaves the heap out of full collections while it runs, and only a heap it froze itself is unfrozen."""
    _some_users(app, service_admin, clock)
    app.projections.rebuild(["directory"], batch_size=2)
    assert gc.get_freeze_count() == 0
    gc.freeze()  # as a server that forks might
    try:
        app.projections.rebuild(["directory"], batch_size=2)
        assert gc.get_freeze_count() > 0  # still frozen (less any frozen object freed meanwhile)
    finally:
        gc.unfreeze()

