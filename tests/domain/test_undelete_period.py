"""Deleted users can be undeleted for 30 days, and purged only after them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import UndeletePeriodRunning, UserNotDeleted
from domain.user import Status
from sema.application import CreatedUser, NewUser, SemaApplication
from sema.clock import SettableClock
from testkit import Org, SERVICE_ADMIN


@pytest.fixture
def deleted_jane(app: SemaApplication, clock: SettableClock, organisation: Org) -> CreatedUser:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_statuses(organisation.admin, clock.now(), [jane.user_id], "delete")
    return jane


def test_a_deleted_user_shows_the_date_they_can_no_longer_be_undeleted(app: SemaApplication, clock: SettableClock, deleted_jane: CreatedUser) -> None:
    user = app.get_user(deleted_jane.user_id)
    assert (user.status, user.undeletable_until) == (Status.DELETED, clock.now() + timedelta(days=30))


def test_undeleting_on_day_29_restores_the_user(app: SemaApplication, clock: SettableClock, organisation: Org, deleted_jane: CreatedUser) -> None:
    clock.advance(timedelta(days=29, hours=23, minutes=59))
    (outcome,) = app.change_statuses(organisation.admin, clock.now(), [deleted_jane.user_id], "undelete")
    assert outcome.result == "changed"
    assert app.get_user(deleted_jane.user_id).status == Status.PENDING_ACTIVATION


def test_undeleting_on_day_30_is_refused_with_the_date_it_ended(app: SemaApplication, clock: SettableClock, organisation: Org, deleted_jane: CreatedUser) -> None:
    until = clock.advance(timedelta(days=30))
    (outcome,) = app.change_statuses(organisation.admin, clock.now(), [deleted_jane.user_id], "undelete")
    assert outcome.result == "refused"
    assert outcome.reason == f"the user can no longer be undeleted: the 30 days ended at {until.isoformat()}"
    assert app.get_user(deleted_jane.user_id).status == Status.DELETED


def test_purging_within_the_30_days_is_refused(app: SemaApplication, clock: SettableClock, deleted_jane: CreatedUser) -> None:
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    with pytest.raises(UndeletePeriodRunning) as refused:
        app.purge_user(SERVICE_ADMIN, clock.now(), deleted_jane.user_id)
    assert refused.value.until == clock.now() + timedelta(seconds=1)


def test_purging_after_the_30_days_removes_the_user_and_their_mailbox(app: SemaApplication, clock: SettableClock, deleted_jane: CreatedUser) -> None:
    clock.advance(timedelta(days=30))
    app.purge_user(SERVICE_ADMIN, clock.now(), deleted_jane.user_id)
    assert app.get_user(deleted_jane.user_id).status == Status.PURGED
    assert deleted_jane.mailbox_id is not None and app.get_mailbox(deleted_jane.mailbox_id).purged


def test_a_user_who_is_not_deleted_cannot_be_purged(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (john,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("John", "Doe")])
    clock.advance(timedelta(days=60))
    with pytest.raises(UserNotDeleted):
        app.purge_user(SERVICE_ADMIN, clock.now(), john.user_id)
