"""Principals: requests authenticate from a read model every command keeps,
even when a follower keeps the other read models."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from sqlalchemy import event, text

from domain.actors import Actor, Role
from projections.queries.principals import principal
from sema.application import NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.config import Settings

from testkit.read_side import read


@pytest.fixture
def followed(settings: Settings) -> Iterator[SemaApplication]:
    """An application whose read models a follower would keep (none runs here)."""
    app = build_application(settings, inline_projections=False)
    yield app
    app.close()
    app.engine.dispose()


def _organisation_with_user(app, service_admin, clock):
    org = app.register_organisation(service_admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    return org, user.user_id


def test_a_new_user_is_a_principal_of_their_organisation_without_a_follower(followed, clock, service_admin):
    org, user_id = _organisation_with_user(followed, service_admin, clock)
    found = read(followed, principal, user_id)
    assert (found.organisation_id, found.role) == (org, Role.USER)


def test_appointment_and_revocation_change_the_role_at_once(followed, clock, service_admin):
    org, user_id = _organisation_with_user(followed, service_admin, clock)
    followed.appoint_administrator(service_admin, clock.now(), org, user_id)
    assert read(followed, principal, user_id).role is Role.ORGANISATION_ADMINISTRATOR
    followed.revoke_administrator(service_admin, clock.now(), org, user_id)
    assert read(followed, principal, user_id).role is Role.USER


@pytest.mark.parametrize("action", ["suspend", "delete"])
def test_a_suspended_or_deleted_user_is_no_principal_until_restored(followed, clock, service_admin, action):
    _, user_id = _organisation_with_user(followed, service_admin, clock)
    followed.change_statuses(service_admin, clock.now(), [user_id], action)
    assert read(followed, principal, user_id) is None
    followed.change_statuses(service_admin, clock.now(), [user_id], "unsuspend" if action == "suspend" else "undelete")
    assert read(followed, principal, user_id).role is Role.USER


def test_the_service_administrator_is_a_principal_with_that_role(app, service_admin: Actor):
    assert read(app, principal, UUID(service_admin.id)).role is Role.SERVICE_ADMINISTRATOR


def test_a_follower_leaves_the_principals_to_the_commands(followed, clock, service_admin):
    _organisation_with_user(followed, service_admin, clock)
    followed.projections.catch_up()
    assert followed.projections.catch_up(["principals"]) == 0


def test_principals_missed_by_events_recorded_without_them_are_caught_up_by_the_next_command(followed, settings, clock, service_admin):
    org = followed.register_organisation(service_admin, clock.now(), name="Org One", code="org", account_type="mailbox")
    bare = SemaApplication(settings)  # records events, keeps no read model
    try:
        (missed,) = bare.add_users(service_admin, clock.now(), org, [NewUser("Wendy", "Darling")])
    finally:
        bare.close()
        bare.engine.dispose()
    assert read(followed, principal, missed.user_id) is None
    (later,) = followed.add_users(service_admin, clock.now(), org, [NewUser("John", "Smith")])
    assert read(followed, principal, missed.user_id).role is Role.USER
    assert read(followed, principal, later.user_id).role is Role.USER


def test_a_command_moves_the_principals_position_without_statements_of_its_own(followed, clock, service_admin):
    """PostgreSQL: the events insert moves it (ADR 54); SQLite reads and moves it in the command's transaction."""
    org, user_id = _organisation_with_user(followed, service_admin, clock)
    statements: list[str] = []

    def seen(conn, cursor, sql, *rest):
        statements.append(sql)

    event.listen(followed.engine, "before_cursor_execute", seen)
    try:
        followed.change_statuses(service_admin, clock.now(), [user_id], "suspend")
    finally:
        event.remove(followed.engine, "before_cursor_execute", seen)
    tracking = [s for s in statements if "sema_projection_tracking" in s]
    with followed.engine.connect() as connection:
        position = connection.execute(text("SELECT notification_id FROM sema_projection_tracking WHERE projection = 'principals'")).scalar_one()
        last = connection.execute(text("SELECT max(id) FROM sema_events")).scalar_one()
    assert position == last
    if followed.engine.dialect.name == "postgresql":
        assert len(tracking) == 1 and "INSERT INTO sema_events" in tracking[0]
