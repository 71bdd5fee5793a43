"""The ledger is a read model like the others: kept in the command's transaction,
or by a follower catching up; either way one link per event, in order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import close_app, make_settings, open_app
from testkit.history import ADDED, REGISTERED, SCRIPT, Scripted
from sqlalchemy import text
from sqlalchemy.orm import Session

from projections.ledger import Ledger
from sema.application import NewUser, SemaApplication
from sema.audit.verify import Verifier
from sema.bootstrap import build_application
from sema.config import Settings


@pytest.fixture
def follower_app(settings: Settings) -> Iterator[SemaApplication]:
    """Read models kept by a follower (``sema projections run``), not inline."""
    application = build_application(settings, inline_projections=False)
    try:
        yield application
    finally:
        application.close()
        application.engine.dispose()


def ledger_rows(app: SemaApplication) -> tuple[int, int]:
    ledger = Ledger()
    with Session(app.engine) as session:
        return ledger.count(session), ledger.position(session)


def test_each_command_chains_its_events_before_it_returns(scripted: Scripted) -> None:
    assert ledger_rows(scripted.app) == (18, scripted.app.recorder.max_notification_id())


def test_events_a_follower_has_not_chained_yet_fail_verification_at_the_first_of_them(follower_app: SemaApplication) -> None:
    follower_app.register_organisation(SCRIPT, REGISTERED, name="Acme Legal", code="acme", account_type="mailbox")
    discrepancy = Verifier(follower_app).verify().discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (1, "inserted")
    assert "sema projections run" in discrepancy.detail


def test_a_follower_catching_up_chains_every_event_it_had_not(follower_app: SemaApplication) -> None:
    organisation_id = follower_app.register_organisation(SCRIPT, REGISTERED, name="Acme Legal", code="acme", account_type="mailbox")
    follower_app.add_users(SCRIPT, ADDED, organisation_id, [NewUser("Jane", "Admin")])
    follower_app.projections.catch_up([Ledger.name])
    result = Verifier(follower_app).verify()
    assert (result.ok, result.checked) == (True, follower_app.recorder.max_notification_id())


def test_concurrent_commands_leave_one_unbroken_chain(audit_app: SemaApplication) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def register(worker: int) -> None:
        for n in range(5):
            organisation_id = audit_app.register_organisation(SCRIPT, REGISTERED, name=f"Chambers {worker}-{n}", code=f"c{worker}x{n}", account_type="mailbox")
            # Distinct names: this is about the ledger, not about racing for the same username.
            audit_app.add_users(SCRIPT, ADDED, organisation_id, [NewUser(["Ann", "Bea", "Cat", "Dot"][worker], ["Ash", "Birch", "Cedar", "Elm", "Fir"][n])])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(register, range(4)))
    result = Verifier(audit_app).verify()
    with audit_app.engine.connect() as connection:
        stored = connection.execute(text(f"SELECT COUNT(*) FROM {audit_app.recorder.events_table_name}")).scalar_one()
    # PostgreSQL ids have gaps where a lost race rolled back: count the events, not the last id.
    assert (result.ok, result.checked) == (True, stored)


def test_a_sqlite_ledger_keyed_by_a_bigint_keeps_chaining_and_a_rebuild_keys_it_by_row_id(tmp_path) -> None:
    """Before, the key was BIGINT on SQLite too (a table and an index of the key beside it).
    Such a store goes on as it was; a rebuild makes the table as it is made now."""
    settings = make_settings(f"sqlite:///{tmp_path / 'sema.db'}", tmp_path)
    app = open_app(settings)
    try:
        organisation_id = app.register_organisation(SCRIPT, REGISTERED, name="Acme Legal", code="acme", account_type="mailbox")
        with app.engine.begin() as connection:
            connection.execute(text("ALTER TABLE sema_ledger RENAME TO sema_ledger_was"))
            connection.execute(
                text("CREATE TABLE sema_ledger (notification_id BIGINT NOT NULL, originator_id VARCHAR(36) NOT NULL, originator_version BIGINT NOT NULL, link VARCHAR(64) NOT NULL, PRIMARY KEY (notification_id))")
            )
            connection.execute(text("INSERT INTO sema_ledger SELECT * FROM sema_ledger_was"))
            connection.execute(text("DROP TABLE sema_ledger_was"))
    finally:
        close_app(app)
    reopened = open_app(settings)
    try:
        reopened.add_users(SCRIPT, ADDED, organisation_id, [NewUser("Jane", "Doe")])
        result = Verifier(reopened).verify()
        assert (result.ok, result.checked) == (True, reopened.recorder.max_notification_id())
        reopened.projections.rebuild(["ledger"])
        with reopened.engine.connect() as connection:
            made = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'sema_ledger'")).scalar_one()
        assert "notification_id INTEGER NOT NULL" in made
        result = Verifier(reopened).verify()
        assert (result.ok, result.checked) == (True, reopened.recorder.max_notification_id())
    finally:
        close_app(reopened)
