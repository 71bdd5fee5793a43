"""Deleted users are purged by the policy exactly when their 30 days have passed."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from domain.base import UNDELETE_PERIOD
from domain.errors import UndeletePeriodRunning
from domain.user import Status
from policies.runner import PolicyRunner
from testkit import Org, SERVICE_ADMIN, START, add_user, event_names, organisation_with_admin
from sema.application import SemaApplication



@pytest.fixture
def org(app: SemaApplication) -> Org:
    return organisation_with_admin(app, START, "org")


@pytest.fixture
def runner(app: SemaApplication) -> PolicyRunner:
    return PolicyRunner(app)


jumps = st.lists(
    st.one_of(
        st.integers(min_value=1, max_value=59).map(lambda s: timedelta(seconds=s)),
        st.integers(min_value=1, max_value=48 * 60).map(lambda m: timedelta(minutes=m)),
        st.integers(min_value=1, max_value=20).map(lambda d: timedelta(days=d)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(jumps=jumps, ticks_per_jump=st.integers(min_value=1, max_value=2), near_the_end=st.booleans())
def test_a_deleted_user_is_purged_once_at_the_first_pass_after_30_days_and_never_before(
    app: SemaApplication, org: Org, runner: PolicyRunner, jumps: list[timedelta], ticks_per_jump: int, near_the_end: bool
) -> None:
    names = _names()
    user = add_user(app, org, START, *next(names))
    deleted_at = START + timedelta(seconds=1)
    app.change_statuses(org.admin, deleted_at, [user.user_id], "delete")
    now = deleted_at
    if near_the_end:
        # Land a pass within a minute either side of the deadline.
        now = deleted_at + UNDELETE_PERIOD - timedelta(seconds=30)
    for jump in jumps:
        now += jump
        for _ in range(ticks_per_jump):
            runner.tick(now)
        status = app.get_user(user.user_id).status
        assert status == (Status.PURGED if now >= deleted_at + UNDELETE_PERIOD else Status.DELETED), now - deleted_at
    assert event_names(app, user.user_id).count("User.Purged") == (1 if now >= deleted_at + UNDELETE_PERIOD else 0)


_counter = count()


def _names():  # type: ignore[no-untyped-def]
    """Fresh names for every example (they share one store)."""
    while True:
        n = next(_counter)
        yield ("Jane", f"Doe{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}{chr(97 + n // 676 % 26)}")


def test_a_purge_pass_one_second_before_the_30_days_leaves_the_user_deleted(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    report = runner.tick(START + UNDELETE_PERIOD - timedelta(seconds=1))
    assert report.done["purge_user"] == 0
    assert app.get_user(user.user_id).status == Status.DELETED


def test_undeleting_on_day_29_works_although_the_policy_ran_every_day(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    for day in range(1, 30):
        runner.tick(START + timedelta(days=day))
    (outcome,) = app.change_statuses(org.admin, START + timedelta(days=29), [user.user_id], "undelete")
    assert outcome.result == "changed"
    for day in range(30, 70, 5):
        runner.tick(START + timedelta(days=day))
    assert app.get_user(user.user_id).status != Status.PURGED


def test_undeleting_on_day_31_fails_clearly_once_the_policy_purged_the_user(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    runner.tick(START + timedelta(days=30))
    (outcome,) = app.change_statuses(org.admin, START + timedelta(days=31), [user.user_id], "undelete")
    assert (outcome.result, outcome.reason) == ("refused", "the user has been purged and cannot be undeleted")


def test_undeleting_on_day_31_fails_clearly_even_when_the_policy_has_not_run(app: SemaApplication, org: Org) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    (outcome,) = app.change_statuses(org.admin, START + timedelta(days=31), [user.user_id], "undelete")
    assert outcome.result == "refused"
    assert outcome.reason == f"the user can no longer be undeleted: the 30 days ended at {(START + UNDELETE_PERIOD).isoformat()}"


def test_a_purge_releases_the_address_for_a_new_user(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    runner.tick(START + timedelta(days=30))
    again = add_user(app, org, START + timedelta(days=30), "Jane", "Doe")
    assert again.address == user.address


def test_a_user_undeleted_then_deleted_again_gets_a_new_30_days(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    app.change_statuses(org.admin, START + timedelta(days=10), [user.user_id], "undelete")
    app.change_statuses(org.admin, START + timedelta(days=20), [user.user_id], "delete")
    runner.tick(START + timedelta(days=49))
    assert app.get_user(user.user_id).status == Status.DELETED
    runner.tick(START + timedelta(days=50))
    assert app.get_user(user.user_id).status == Status.PURGED


def test_purging_by_hand_before_the_deadline_is_refused_with_the_date(app: SemaApplication, org: Org) -> None:
    from testkit import SERVICE_ADMIN

    user = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    with pytest.raises(UndeletePeriodRunning) as refused:
        app.purge_user(SERVICE_ADMIN, START + timedelta(days=29), user.user_id)
    assert refused.value.until == START + UNDELETE_PERIOD


def test_a_purged_administrator_is_no_longer_appointed(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    app.appoint_administrator(SERVICE_ADMIN, START, org.id, jane.user_id)
    app.change_statuses(org.admin, START, [jane.user_id], "delete")
    assert app.get_organisation(org.id).is_administrator(jane.user_id)  # deleted, she may still be undeleted
    assert runner.tick(START + UNDELETE_PERIOD).done["purge_user"] == 1
    assert not app.get_organisation(org.id).is_administrator(jane.user_id)
    assert app.get_organisation(org.id).is_administrator(org.admin_user.user_id)
