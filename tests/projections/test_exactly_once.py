"""Each event applied exactly once: reprocessing changes nothing, a follower
catches up to the same state, and a rebuild keeps serving the old tables."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from testkit import make_settings
from domain.actors import Actor
from projections import queries
from projections.framework import tracking_table
from sema.application import NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.clock import SettableClock

from testkit.read_side import READ_SIDE, read, snapshot


def _some_history(app: SemaApplication, admin: Actor, clock: SettableClock) -> dict[str, object]:
    at = clock.now()
    org = app.register_organisation(admin, at, name="Org One", code="org", account_type="mailbox")
    police = app.register_organisation(admin, at, name="Police", code="police", account_type="smtp", domains=["police.gov.uk"])
    users = app.add_users(admin, at, org, [NewUser("Peter", "Pan"), NewUser("Wendy", "Darling", ex_directory=True), NewUser("John", "Smith")])
    (jane,) = app.add_users(admin, at, police, [NewUser("Jane", "Doe", original_address="jane.doe@police.gov.uk")])
    list_id, list_address = app.create_distribution_list(admin, at, org, "Team", "team", [u.user_id for u in users] + [jane.user_id])
    app.change_statuses(admin, at, [users[0].user_id], "suspend")
    app.change_last_name(admin, at, users[1].user_id, "Pan")
    app.change_statuses(admin, at, [users[2].user_id], "delete")
    app.purge_user(admin, at + timedelta(days=30), users[2].user_id)
    app.suspend_organisation(admin, at, police, "down")
    return {"list_address": list_address, "users": users}


def _admin(app: SemaApplication, clock: SettableClock) -> Actor:
    username, otp = app.bootstrap(clock.now()) or ("", "")
    return app.log_in(username, otp, clock.now()).actor()


def test_reprocessing_the_same_events_changes_nothing(app, clock, service_admin):
    _some_history(app, service_admin, clock)
    before = snapshot(app)
    projections = app.projections
    for batch in projections.source.batches(0):
        with Session(app.engine) as session, session.begin():
            for model in projections.by_name(READ_SIDE):
                model.process(session, batch)
    assert snapshot(app) == before


def test_recordings_offered_inline_twice_are_applied_once(app, clock, service_admin):
    org = app.register_organisation(service_admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    before = snapshot(app)
    last = app.projections.source.max_id()
    with app.transaction() as session:
        (batch,) = list(app.projections.source.batches(last - 3))
        app.projections.process_inline(session, [_Recording(p) for p in batch])
    assert snapshot(app) == before


def test_a_command_applies_its_events_once_whatever_mix_of_positions_the_read_models_are_at(app, clock, service_admin):
    """The inline path moves every position in one update only when all stand just
    before the command's events; a read model behind, one without a row, and the
    rest current must each still end where a rebuild puts them."""
    history = _some_history(app, service_admin, clock)
    behind, gone = app.projections.by_name(READ_SIDE)[:2]
    with app.transaction() as session:
        session.execute(tracking_table.update().where(tracking_table.c.projection == behind.tracking_name).values(notification_id=0))
        session.execute(tracking_table.delete().where(tracking_table.c.projection == gone.tracking_name))
    for model in (behind, gone):
        model.drop(app.engine)
        model.create(app.engine)
    users = history["users"]
    app.change_last_name(service_admin, clock.now(), users[0].user_id, "Hook")
    incremental = snapshot(app)
    app.projections.rebuild(READ_SIDE)
    assert snapshot(app) == incremental
    with Session(app.engine) as session:
        positions = {m.tracking_name: m.position(session) for m in app.projections.read_models}
    assert set(positions.values()) == {app.projections.source.max_id()}


class _Recording:
    """What ``Application.save`` returns, for a stored event read back."""

    def __init__(self, position):
        self.notification = position.notification
        self.domain_event = position.event


def test_a_follower_catching_up_after_inline_processing_was_off_reaches_the_rebuilt_state(settings, clock):
    app = build_application(settings, inline_projections=False)
    try:
        admin = _admin(app, clock)
        history = _some_history(app, admin, clock)
        assert read(app, queries.route, history["list_address"]).reason == "unknown"  # nothing applied yet
        seen = app.projections.catch_up(READ_SIDE, batch_size=5)
        assert seen > 0
        caught_up = snapshot(app)
        assert read(app, queries.route, history["list_address"]).action == "expand"
        assert app.projections.catch_up(READ_SIDE) == 0
        app.projections.rebuild(READ_SIDE, batch_size=5)
        assert snapshot(app) == caught_up
    finally:
        app.close()
        app.engine.dispose()


def test_inline_and_followed_read_models_agree(database_url, tmp_path: Path, clock):
    """The same commands on two stores, one kept inline and one by a follower: the same answers."""
    inline = build_application(make_settings(database_url, tmp_path))
    try:
        history = _some_history(inline, _admin(inline, clock), clock)
        inline_answers = _answers(inline, history)
    finally:
        inline.close()
        inline.engine.dispose()
    other_url = f"sqlite:///{tmp_path / 'followed.db'}"
    followed = build_application(make_settings(other_url, tmp_path), inline_projections=False)
    try:
        history = _some_history(followed, _admin(followed, clock), clock)
        followed.projections.catch_up(READ_SIDE)
        assert _answers(followed, history) == inline_answers
    finally:
        followed.close()
        followed.engine.dispose()


def _answers(app: SemaApplication, history: dict[str, object]) -> object:
    users = history["users"]
    routes = [read(app, queries.route, a) for a in [history["list_address"], *(u.address for u in users)]]
    return (
        [(r.action, r.reason, r.message, len(r.members)) for r in routes],
        sorted(_unguessable(e.name) for e in read(app, queries.search_directory, "")),
        sorted((_unguessable(u.username), u.status, u.ex_directory) for u in read(app, queries.search_users, None, limit=500).items),
    )


def _unguessable(username: str) -> str:
    """The first service administrator's username has a random suffix, different in each store."""
    return "service.administrator-…" if username.startswith("service.administrator-") else username


def test_a_rebuild_keeps_serving_the_old_tables_until_it_swaps(app, clock, service_admin):
    org = app.register_organisation(service_admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    app.add_users(service_admin, clock.now(), org, [NewUser("Peter", f"Pan{i}") for i in range(30)])
    before = snapshot(app, ("directory",))
    halfway, resume = threading.Event(), threading.Event()
    batches = []

    def pause_after_first_batch(count: int) -> None:
        batches.append(count)
        if len(batches) == 1:
            halfway.set()
            assert resume.wait(30)

    rebuild = threading.Thread(target=app.projections.rebuild, args=(["directory"],), kwargs={"batch_size": 10, "progress": pause_after_first_batch})
    rebuild.start()
    try:
        assert halfway.wait(30)
        # Mid-rebuild: the shadow tables are part-filled, the live ones still answer in full.
        assert len(read(app, queries.search_directory, "pan", limit=500)) == 30
        assert snapshot(app, ("directory",)) == before
    finally:
        resume.set()
        rebuild.join(60)
    assert len(batches) > 1
    assert snapshot(app, ("directory",)) == before
    assert len(read(app, queries.search_directory, "pan", limit=500)) == 30


def test_events_recorded_during_a_rebuild_are_in_the_swapped_tables(app, clock, service_admin):
    org = app.register_organisation(service_admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    app.add_users(service_admin, clock.now(), org, [NewUser("Peter", f"Pan{i}") for i in range(10)])
    done = []

    def add_a_user_midway(count: int) -> None:
        if not done:
            done.append(app.add_users(service_admin, clock.now(), org, [NewUser("Late", "Comer")])[0])

    app.projections.rebuild(["directory"], batch_size=5, progress=add_a_user_midway)
    assert [e.id for e in read(app, queries.search_directory, "late comer")] == [done[0].user_id]
