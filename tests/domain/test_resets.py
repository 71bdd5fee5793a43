"""Resetting a password (only after a passed challenge) and resetting a user
(only under a granted exceptional-access request)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.actors import Actor, Role
from domain.errors import GrantNotFound, GrantNotInForce, InvalidCredentials, NoPassedChallenge, NoSecurityInformation, PassedChallengeTooOld, PermissionDenied
from domain.grants import GrantState
from domain.user import Status
from sema.application import CreatedUser, NewUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import normalise_answer
from testkit import ANSWERS, Org, PASSWORD, SERVICE_ADMIN, activate, fail_log_ins

NORMALISED = {q: normalise_answer(a) for q, a in ANSWERS.items()}


@pytest.fixture
def jane(app: SemaApplication, clock: SettableClock, organisation: Org) -> CreatedUser:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    activate(app, created, clock.now())
    return created


def authenticate(app: SemaApplication, admin: Actor, at, user_id, right: bool = True) -> bool:  # type: ignore[no-untyped-def]
    prompt = app.issue_challenge(admin, at, user_id)
    letters = [NORMALISED[q][p - 1] for q, p in prompt.positions]
    if not right:
        letters[0] = "Z" if letters[0] != "Z" else "Y"
    return app.answer_challenge(admin, at, user_id, prompt.challenge_id, letters)


# ------------------------------------------------------------ password reset


def test_a_password_reset_without_a_passed_challenge_is_refused(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    with pytest.raises(NoPassedChallenge):
        app.reset_password(organisation.admin, clock.now(), jane.user_id)
    assert app.log_in(jane.username, PASSWORD, clock.now()).user_id == jane.user_id


def test_a_password_reset_after_a_failed_challenge_is_refused(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    assert not authenticate(app, organisation.admin, clock.now(), jane.user_id, right=False)
    with pytest.raises(NoPassedChallenge):
        app.reset_password(organisation.admin, clock.now(), jane.user_id)


def test_a_password_reset_after_a_passed_challenge_replaces_the_password_with_a_one_time_password(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    assert authenticate(app, organisation.admin, clock.now(), jane.user_id)
    otp, expires_at = app.reset_password(organisation.admin, clock.now(), jane.user_id)
    assert expires_at == clock.now() + timedelta(days=14)
    with pytest.raises(InvalidCredentials):
        app.log_in(jane.username, PASSWORD, clock.now())
    assert app.log_in(jane.username, otp, clock.now()).must_change_password


def test_a_passed_challenge_allows_one_password_reset_only(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    authenticate(app, organisation.admin, clock.now(), jane.user_id)
    app.reset_password(organisation.admin, clock.now(), jane.user_id)
    with pytest.raises(NoPassedChallenge):
        app.reset_password(organisation.admin, clock.now(), jane.user_id)


def test_a_challenge_passed_with_another_administrator_does_not_allow_a_reset(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    authenticate(app, SERVICE_ADMIN, clock.now(), jane.user_id)
    with pytest.raises(NoPassedChallenge):
        app.reset_password(organisation.admin, clock.now(), jane.user_id)


def test_a_passed_challenge_goes_stale(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    authenticate(app, organisation.admin, clock.now(), jane.user_id)
    clock.advance(timedelta(minutes=31))
    with pytest.raises(PassedChallengeTooOld):
        app.reset_password(organisation.admin, clock.now(), jane.user_id)


# ------------------------------------------------------------- user reset


def request_reset(app: SemaApplication, admin: Actor, at, user_id):  # type: ignore[no-untyped-def]
    return app.request_exceptional_access(admin, at, "user_reset", user_id, "forgot her security answers")


def test_resetting_a_user_without_a_request_is_refused(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    with pytest.raises(GrantNotFound):
        app.reset_user(organisation.admin, clock.now(), jane.user_id, app.new_id())


def test_resetting_a_user_before_the_request_is_granted_is_refused(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    grant_id = request_reset(app, organisation.admin, clock.now(), jane.user_id)
    with pytest.raises(GrantNotInForce):
        app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)
    assert app.get_user(jane.user_id).status == Status.ACTIVE


def test_resetting_a_user_under_a_refused_request_is_refused(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    grant_id = request_reset(app, organisation.admin, clock.now(), jane.user_id)
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", jane.user_id, grant_id, approve=False, reason="ask her again")
    with pytest.raises(GrantNotInForce):
        app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)


def test_resetting_a_user_under_a_granted_request_returns_them_to_pending_activation(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    grant_id = request_reset(app, organisation.admin, clock.now(), jane.user_id)
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", jane.user_id, grant_id, approve=True)
    otp, _ = app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)
    user = app.get_user(jane.user_id)
    assert (user.status, user.security_questions, user.grant(grant_id).state) == (Status.PENDING_ACTIVATION, [], GrantState.USED)
    with pytest.raises(InvalidCredentials):
        app.log_in(jane.username, PASSWORD, clock.now())
    result = app.log_in(jane.username, otp, clock.now())
    assert result.must_change_password and result.must_set_security_information
    with pytest.raises(NoSecurityInformation):
        app.issue_challenge(organisation.admin, clock.now(), jane.user_id)  # no security information any more


def test_a_granted_request_resets_a_user_once_only(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    grant_id = request_reset(app, organisation.admin, clock.now(), jane.user_id)
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", jane.user_id, grant_id, approve=True)
    app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)
    with pytest.raises(GrantNotInForce):
        app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)


def test_a_grant_that_has_run_out_does_not_reset_a_user(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    grant_id = request_reset(app, organisation.admin, clock.now(), jane.user_id)
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", jane.user_id, grant_id, approve=True)
    clock.advance(timedelta(days=30))
    with pytest.raises(GrantNotInForce):
        app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)


def test_a_locked_user_who_never_activated_can_be_reset(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (john,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("John", "Doe")])
    clock.set(fail_log_ins(app, john.username, clock.now(), app.settings.max_failed_log_ins))
    assert app.get_user(john.user_id).locked
    grant_id = request_reset(app, organisation.admin, clock.now(), john.user_id)
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", john.user_id, grant_id, approve=True)
    otp, _ = app.reset_user(organisation.admin, clock.now(), john.user_id, grant_id)
    assert app.log_in(john.username, otp, clock.now()).user_id == john.user_id


def test_a_plain_user_cannot_request_exceptional_access(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    jane_acts = Actor(id=str(jane.user_id), role=Role.USER, organisation_id=organisation.id)
    with pytest.raises(PermissionDenied):
        request_reset(app, jane_acts, clock.now(), jane.user_id)
