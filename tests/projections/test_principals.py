"""Principals: requests authenticate from a read model every command keeps,
even when a follower keeps the other read models."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

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
