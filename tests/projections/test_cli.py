"""``sema projections status|run|rebuild`` against a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import TEST_SECRET_KEY, make_settings
from projections import fill_processes, queries
from sema.application import NewUser
from sema.bootstrap import build_application
from cli import main

from testkit.read_side import read


@pytest.fixture
def followed_store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock):
    """A store whose commands ran without inline read models, and the environment pointing at it."""
    for name, value in {
        "SEMA_DATABASE_URL": database_url,
        "SEMA_DATA_DIR": str(tmp_path),
        "SEMA_SECRET_KEY": TEST_SECRET_KEY,
        "SEMA_ARGON2_TIME_COST": "1",
        "SEMA_ARGON2_MEMORY_COST": "8",
        "SEMA_ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(name, value)
    app = build_application(make_settings(database_url, tmp_path), inline_projections=False)
    username, otp = app.bootstrap(clock.now()) or ("", "")
    admin = app.log_in(username, otp, clock.now()).actor()
    org = app.register_organisation(admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    app.add_users(admin, clock.now(), org, [NewUser("Peter", "Pan"), NewUser("Wendy", "Darling")])
    yield app
    app.close()
    app.engine.dispose()


def test_status_shows_read_models_behind_the_store(followed_store, capsys):
    assert main(["projections", "status", "directory"]) == 0
    assert "behind" in capsys.readouterr().out


def test_run_once_brings_every_read_model_up_to_date(followed_store, capsys):
    assert main(["projections", "run", "--once"]) == 0
    assert len(read(followed_store, queries.search_directory, "pan")) == 1
    capsys.readouterr()
    main(["projections", "status"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines and all(line.endswith("(up to date)") for line in lines)


def test_rebuild_of_named_read_models_answers_the_same(followed_store, capsys):
    main(["projections", "run", "--once"])
    before = read(followed_store, queries.search_directory, "")
    assert main(["projections", "rebuild", "directory", "routing"]) == 0
    assert read(followed_store, queries.search_directory, "") == before
    assert "rebuilt directory, routing" in capsys.readouterr().err


def test_rebuild_in_one_process_by_flag_or_variable(followed_store, capsys, monkeypatch):
    """SEMA_REBUILD_PROCESSES / --rebuild-processes: 1 fills every read model in the command's own process (ADR 58)."""
    split = []
    original = fill_processes.split
    monkeypatch.setattr(fill_processes, "split", lambda models, processes, dialect: split.append(processes) or original(models, processes, dialect))
    main(["projections", "run", "--once"])
    before = read(followed_store, queries.search_directory, "")
    assert main(["projections", "rebuild", "--rebuild-processes", "1", "directory", "routing"]) == 0
    monkeypatch.setenv("SEMA_REBUILD_PROCESSES", "1")
    assert main(["projections", "rebuild", "directory", "routing"]) == 0
    monkeypatch.delenv("SEMA_REBUILD_PROCESSES")
    assert main(["projections", "rebuild", "directory", "routing"]) == 0
    assert split == [1, 1, 2]
    assert read(followed_store, queries.search_directory, "") == before


def test_an_unknown_read_model_is_refused_with_the_known_names(followed_store, capsys):
    assert main(["projections", "rebuild", "nonsense"]) == 2
    error = capsys.readouterr().err
    assert "nonsense" in error and "directory" in error


def test_a_follower_applies_new_events_soon_after_they_are_recorded(followed_store, clock):
    """SQLite polls (every 0.2 s here); PostgreSQL is woken by LISTEN/NOTIFY, so its poll is set too long to matter."""
    import threading
    import time

    from projections.follower import follow

    interval = 60.0 if followed_store.engine.dialect.name == "postgresql" else 0.2
    stop = threading.Event()
    follower = threading.Thread(target=follow, args=(followed_store.projections, [], interval, stop))
    follower.start()
    try:
        time.sleep(0.5)  # the follower has caught up and is waiting
        org = followed_store.register_organisation(_system(), clock.now(), name="Late Org", code="late", account_type="mailbox")
        followed_store.add_users(_system(), clock.now(), org, [NewUser("Late", "Comer")])
        deadline = time.monotonic() + 10
        while not read(followed_store, queries.search_directory, "late comer") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [e.name for e in read(followed_store, queries.search_directory, "late comer")] == ["Late Comer"]
    finally:
        stop.set()
        follower.join(10)
    assert not follower.is_alive()


def _system():
    from domain.actors import system_actor

    return system_actor("test")
