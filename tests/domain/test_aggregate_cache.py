"""Aggregates kept between commands (``sema.services.aggregate_cache``): a command
still sees every event recorded since, by any process, and nothing a command
did not commit is ever kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from domain.user import Status
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.config import Settings
from testkit import Org, close_app, open_app, organisation_with_admin


@pytest.fixture
def other_process(settings: Settings) -> Iterator[SemaApplication]:
    """A second application on the same store, as another ``sema serve`` process would be."""
    application = open_app(settings)
    yield application
    close_app(application)


def status_in_a_command(app: SemaApplication, user_id) -> Status:
    return app.runner.run(lambda uow: app.aggregates.user(user_id).status)


def test_a_command_sees_what_another_process_recorded_after_this_one_kept_the_user(
    app: SemaApplication, other_process: SemaApplication, clock: SettableClock, organisation: Org
) -> None:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_details(organisation.admin, clock.now(), [created.user_id], {"department": "Fraud"})
    assert created.user_id in app.aggregates.cache  # kept by this process after its commit
    before = app.get_user(created.user_id).status

    clock.advance(timedelta(minutes=1))
    (suspended,) = other_process.change_statuses(organisation.admin, clock.now(), [created.user_id], "suspend")
    assert suspended.result == "changed"

    clock.advance(timedelta(minutes=1))
    (unsuspended,) = app.change_statuses(organisation.admin, clock.now(), [created.user_id], "unsuspend")
    assert unsuspended.result == "changed"  # not "already_so": the suspension was read before deciding
    assert app.get_user(created.user_id).status == other_process.get_user(created.user_id).status == before != Status.SUSPENDED
    assert vars(app.runner.run(lambda uow: app.aggregates.user(created.user_id))) == vars(app.repository.get(created.user_id))


def test_a_command_that_fails_keeps_nothing_it_changed(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_details(organisation.admin, clock.now(), [created.user_id], {"department": "Fraud"})
    before = app.get_user(created.user_id).status

    def suspend_then_fail(uow) -> None:
        user = app.aggregates.user(created.user_id)
        user.suspend(organisation.admin, clock.now())
        uow.save(user)
        raise RuntimeError("the command fails after saving")

    with pytest.raises(RuntimeError):
        app.runner.run(suspend_then_fail)
    assert created.user_id not in app.aggregates.cache
    assert status_in_a_command(app, created.user_id) == app.get_user(created.user_id).status == before != Status.SUSPENDED


def test_a_change_a_command_did_not_save_is_not_kept(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    assert created.user_id in app.aggregates.cache  # kept from its creation

    def suspend_without_saving(uow) -> None:
        app.aggregates.user(created.user_id).suspend(organisation.admin, clock.now())

    app.runner.run(suspend_without_saving)
    assert created.user_id not in app.aggregates.cache
    assert status_in_a_command(app, created.user_id) != Status.SUSPENDED


def test_a_user_kept_over_many_commands_is_the_user_the_store_gives(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    for i, action in enumerate(["suspend", "unsuspend", "mark_ex_directory", "unmark_ex_directory", "delete", "undelete"] * 5):
        clock.advance(timedelta(minutes=1))
        app.change_details(organisation.admin, clock.now(), [created.user_id], {"department": f"Team {i}"})
        app.change_statuses(organisation.admin, clock.now(), [created.user_id], action)
        kept = app.runner.run(lambda uow: app.aggregates.user(created.user_id))
        assert vars(kept) == vars(app.repository.get(created.user_id))


def test_no_aggregate_is_kept_when_the_cache_is_off(settings: Settings, clock: SettableClock) -> None:
    app = open_app(settings.model_copy(update={"aggregate_cache_size": 0}))
    try:
        organisation = organisation_with_admin(app, clock.now(), code="org")
        (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
        app.change_statuses(organisation.admin, clock.now(), [created.user_id], "suspend")
        assert len(app.aggregates.cache) == 0
        assert status_in_a_command(app, created.user_id) == Status.SUSPENDED
    finally:
        close_app(app)
