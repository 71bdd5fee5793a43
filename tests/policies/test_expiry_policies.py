"""One-time passwords, authentication challenges and exceptional access expire by the policy, on time, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import InvalidCredentials
from policies.runner import PolicyRunner
from testkit import Org, SERVICE_ADMIN, START, activate, add_user, event_names, organisation_with_admin
from sema.application import SemaApplication



@pytest.fixture
def org(app: SemaApplication) -> Org:
    return organisation_with_admin(app, START, "org")


@pytest.fixture
def runner(app: SemaApplication) -> PolicyRunner:
    return PolicyRunner(app)


def test_a_one_time_password_is_expired_by_the_first_pass_after_14_days(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    runner.tick(START + app.settings.one_time_password_lifetime - timedelta(seconds=1))
    assert "User.OneTimePasswordExpired" not in event_names(app, user.user_id)
    runner.tick(START + app.settings.one_time_password_lifetime)
    runner.tick(START + app.settings.one_time_password_lifetime + timedelta(days=3))
    assert event_names(app, user.user_id).count("User.OneTimePasswordExpired") == 1


def test_an_expired_one_time_password_no_longer_logs_in(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    assert user.one_time_password is not None
    runner.tick(START + app.settings.one_time_password_lifetime)
    with pytest.raises(InvalidCredentials):
        app.log_in(user.username, user.one_time_password, START + app.settings.one_time_password_lifetime + timedelta(minutes=1))


def test_a_one_time_password_replaced_by_an_own_password_is_not_expired(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    activate(app, user, START + timedelta(days=1))
    runner.tick(START + app.settings.one_time_password_lifetime * 2)
    assert "User.OneTimePasswordExpired" not in event_names(app, user.user_id)


def test_an_unanswered_challenge_is_expired_after_ten_minutes_once_as_a_failure(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    activate(app, user, START)
    issued = START + timedelta(hours=1)
    app.issue_challenge(org.admin, issued, user.user_id)
    runner.tick(issued + app.settings.challenge_lifetime - timedelta(seconds=1))
    assert "User.ChallengeFailed" not in event_names(app, user.user_id)
    runner.tick(issued + app.settings.challenge_lifetime)
    runner.tick(issued + app.settings.challenge_lifetime + timedelta(minutes=1))
    assert event_names(app, user.user_id).count("User.ChallengeFailed") == 1
    assert app.get_user(user.user_id).failed_challenges == 1  # abandoned is failed


def test_an_answered_challenge_is_not_expired(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    from testkit import pass_challenge

    user = add_user(app, org, START, "Jane", "Doe")
    activate(app, user, START)
    pass_challenge(app, org.admin, user.user_id, START + timedelta(hours=1))
    runner.tick(START + timedelta(days=1))
    assert "User.ChallengeFailed" not in event_names(app, user.user_id)


def test_granted_mailbox_access_expires_after_30_days_once(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    assert user.mailbox_id is not None
    grant_id = app.request_exceptional_access(org.admin, START, "mailbox_access", user.mailbox_id, "long illness")
    app.decide_exceptional_access(SERVICE_ADMIN, START, "mailbox_access", user.mailbox_id, grant_id, approve=True)
    runner.tick(START + app.settings.exceptional_access_lifetime - timedelta(seconds=1))
    assert app.get_mailbox(user.mailbox_id).grant(grant_id).state == "granted"
    runner.tick(START + app.settings.exceptional_access_lifetime)
    runner.tick(START + app.settings.exceptional_access_lifetime + timedelta(days=1))
    assert app.get_mailbox(user.mailbox_id).grant(grant_id).state == "expired"
    assert event_names(app, user.mailbox_id).count("Mailbox.ExceptionalAccessExpired") == 1


def test_a_granted_user_reset_expires_unused_and_a_revoked_grant_is_left_alone(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Jane", "Doe")
    reset = app.request_exceptional_access(org.admin, START, "user_reset", user.user_id, "forgot security answers")
    app.decide_exceptional_access(SERVICE_ADMIN, START, "user_reset", user.user_id, reset, approve=True)
    assert user.mailbox_id is not None
    revoked = app.request_exceptional_access(org.admin, START, "mailbox_access", user.mailbox_id, "sudden departure")
    app.decide_exceptional_access(SERVICE_ADMIN, START, "mailbox_access", user.mailbox_id, revoked, approve=True)
    app.revoke_exceptional_access(org.admin, START + timedelta(days=2), "mailbox_access", user.mailbox_id, revoked)
    runner.tick(START + app.settings.exceptional_access_lifetime)
    assert app.get_user(user.user_id).grant(reset).state == "expired"
    assert app.get_mailbox(user.mailbox_id).grant(revoked).state == "revoked"


def test_a_catch_up_pass_after_downtime_does_what_frequent_passes_did(app: SemaApplication, org: Org, runner: PolicyRunner, tmp_path) -> None:
    """Two identical histories: one store's policy ran every six hours for
    seven months, the other's only once, a week after everything fell due."""
    from testkit import close_app, make_settings, open_app

    def scenario(target: SemaApplication, target_org: Org) -> list:
        jane = add_user(target, target_org, START, "Jane", "Doe")
        john = add_user(target, target_org, START, "John", "Roe")
        activate(target, john, START)
        target.change_statuses(target_org.admin, START + timedelta(days=1), [jane.user_id], "delete")
        assert john.mailbox_id is not None
        grant = target.request_exceptional_access(target_org.admin, START, "mailbox_access", john.mailbox_id, "long illness")
        target.decide_exceptional_access(SERVICE_ADMIN, START, "mailbox_access", john.mailbox_id, grant, approve=True)
        target.issue_challenge(target_org.admin, START + timedelta(hours=2), john.user_id)
        return [target_org.admin_user, jane, john]

    def facts(target: SemaApplication, users: list) -> list:
        return [(sorted(event_names(target, u.user_id)), sorted(event_names(target, u.mailbox_id))) for u in users]

    frequent_users = scenario(app, org)
    end = START + timedelta(days=7 * 31)
    moment = START
    while moment <= end:
        runner.tick(moment)
        moment += timedelta(hours=6)

    other = open_app(make_settings(f"sqlite:///{tmp_path / 'downtime.db'}", tmp_path / "downtime"))
    try:
        other_org = organisation_with_admin(other, START, "org")
        late_users = scenario(other, other_org)
        PolicyRunner(other).tick(end + timedelta(days=7))
        assert facts(other, late_users) == facts(app, frequent_users)
    finally:
        close_app(other)
