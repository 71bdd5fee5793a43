"""Logging in (lockout after repeated failures, one-time-password expiry) and
authenticating a user by letters of their security answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import AccountUnavailable, ChallengeNotOpen, ChallengeOutOfTime, InvalidCredentials, InvalidValue, InvalidValues, SecurityInformationExhausted, UserLocked
from domain.user import Status
from sema.application import ChallengePrompt, CreatedUser, NewUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import normalise_answer
from testkit import ANSWERS, Org, PASSWORD, activate, fail_log_ins

NORMALISED = {q: normalise_answer(a) for q, a in ANSWERS.items()}


@pytest.fixture
def jane(app: SemaApplication, clock: SettableClock, organisation: Org) -> CreatedUser:
    """An activated user of ``organisation`` whose security answers are ``ANSWERS``."""
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    activate(app, created, clock.now())
    return created


def right_letters(prompt: ChallengePrompt) -> list[str]:
    return [NORMALISED[question][position - 1] for question, position in prompt.positions]


def wrong_letters(prompt: ChallengePrompt) -> list[str]:
    letters = right_letters(prompt)
    return ["Z" if letters[0] != "Z" else "Y", *letters[1:]]


# --------------------------------------------------------------- log-in


def test_the_configured_count_of_failed_log_ins_in_a_row_locks_the_account(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    at = fail_log_ins(app, jane.username, clock.now(), app.settings.max_failed_log_ins)
    assert app.get_user(jane.user_id).status == Status.LOCKED
    # A locked account does not confirm its password: the right one fails like a wrong one.
    with pytest.raises(InvalidCredentials):
        app.log_in(jane.username, PASSWORD, at + timedelta(hours=1))


def test_one_failed_log_in_fewer_does_not_lock_the_account(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    at = fail_log_ins(app, jane.username, clock.now(), app.settings.max_failed_log_ins - 1)
    assert app.log_in(jane.username, PASSWORD, at + timedelta(hours=1)).user_id == jane.user_id


def test_a_successful_log_in_starts_the_count_of_failures_again(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    at = fail_log_ins(app, jane.username, clock.now(), app.settings.max_failed_log_ins - 1)
    app.log_in(jane.username, PASSWORD, at + timedelta(hours=1))
    fail_log_ins(app, jane.username, at + timedelta(hours=1), app.settings.max_failed_log_ins - 1)
    assert app.get_user(jane.user_id).status == Status.ACTIVE


def test_an_administrator_unlocks_a_locked_account(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    at = fail_log_ins(app, jane.username, clock.now(), app.settings.max_failed_log_ins)
    (outcome,) = app.change_statuses(organisation.admin, at, [jane.user_id], "unlock")
    assert outcome.result == "changed"
    assert app.log_in(jane.username, PASSWORD, at + timedelta(hours=1)).user_id == jane.user_id


def test_an_unknown_username_and_a_wrong_password_fail_alike(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    with pytest.raises(InvalidCredentials) as unknown:
        app.log_in("no.such.user", PASSWORD, clock.now())
    with pytest.raises(InvalidCredentials) as wrong:
        app.log_in(jane.username, "not the password at all", clock.now())
    assert unknown.value.message == wrong.value.message


def test_a_one_time_password_stops_working_after_14_days(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (john,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("John", "Doe")])
    assert john.one_time_password is not None
    clock.advance(timedelta(days=14))
    with pytest.raises(AccountUnavailable):
        app.log_in(john.username, john.one_time_password, clock.now())


def test_a_one_time_password_works_without_its_dashes_and_in_lower_case(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (john,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("John", "Doe")])
    assert john.one_time_password is not None
    result = app.log_in(john.username, john.one_time_password.replace("-", "").lower(), clock.now())
    assert result.must_change_password and result.must_set_security_information


# ----------------------------------------------------- authentication challenge


def test_a_challenge_asks_for_letters_from_at_least_two_different_answers(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    assert len({question for question, _ in prompt.positions}) >= 2
    assert all(1 <= position <= len(NORMALISED[question]) for question, position in prompt.positions)


def test_the_right_letters_pass_the_challenge_in_any_case(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    assert app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, [c.lower() for c in right_letters(prompt)])


def test_one_wrong_letter_fails_the_whole_challenge(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    assert not app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, wrong_letters(prompt))


def test_a_challenge_can_be_answered_once_only(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))
    with pytest.raises(ChallengeNotOpen):
        app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))


def test_a_challenge_expires_after_its_minutes(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    clock.set(prompt.expires_at)
    with pytest.raises(ChallengeOutOfTime):
        app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))


def test_three_failed_challenges_in_a_row_lock_the_account(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    for _ in range(3):
        prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, wrong_letters(prompt))
    assert app.get_user(jane.user_id).status == Status.LOCKED
    with pytest.raises(UserLocked):  # refused to the administrator as a rule (422), not as their own log-in (401)
        app.issue_challenge(organisation.admin, clock.now(), jane.user_id)


def test_revealed_letter_positions_are_not_asked_again(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    asked: list[tuple[str, int]] = []
    for _ in range(6):
        try:
            prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        except SecurityInformationExhausted:
            break  # too much revealed: the user must set new security information
        asked += prompt.positions
        app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))
    assert len(asked) >= 6
    assert len(set(asked)) == len(asked)


def test_new_security_information_is_required_once_half_an_answer_is_revealed(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    revealed: dict[str, set[int]] = {q: set() for q in NORMALISED}
    while not any(len(revealed[q]) >= len(NORMALISED[q]) // 2 for q in NORMALISED):
        assert not app.log_in(jane.username, PASSWORD, clock.now()).must_set_security_information
        prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))
        for question, position in prompt.positions:
            revealed[question].add(position)
    result = app.log_in(jane.username, PASSWORD, clock.now())
    assert result.must_set_security_information


def test_new_security_information_forgets_what_was_revealed(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))
    actor = app.log_in(jane.username, PASSWORD, clock.now()).actor()
    app.set_security_information(actor, clock.now(), PASSWORD, {"first_pet": "Rover the dog", "first_school": "St Mary's", "place_of_birth": "Leeds"})
    user = app.get_user(jane.user_id)
    assert (user.revealed, user.security_renewal_required, user.security_questions) == ({}, False, ["first_pet", "first_school", "place_of_birth"])


def test_an_answer_given_again_unchanged_keeps_its_revealed_letters(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    """Re-entering an answer must not reopen it to administrators: what they were told of it stays told."""
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))
    told = {q: sorted(p for q2, p in prompt.positions if q2 == q) for q in {q for q, _ in prompt.positions}}
    changed = sorted(told)[0]  # the letters were asked from two answers or three
    actor = app.log_in(jane.username, PASSWORD, clock.now()).actor()
    app.set_security_information(actor, clock.now(), PASSWORD, {**ANSWERS, changed: "Something else entirely"})
    user = app.get_user(jane.user_id)
    assert {q: sorted(p) for q, p in user.revealed.items()} == {q: p for q, p in told.items() if q != changed}
    assert len(told) > 1


def test_an_answer_half_revealed_must_be_answered_anew(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    revealed: dict[str, set[int]] = {q: set() for q in NORMALISED}
    while not any(len(revealed[q]) >= len(NORMALISED[q]) // 2 for q in NORMALISED):
        prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, right_letters(prompt))
        for question, position in prompt.positions:
            revealed[question].add(position)
    exhausted = sorted(q for q in NORMALISED if len(revealed[q]) >= len(NORMALISED[q]) // 2)
    actor = app.log_in(jane.username, PASSWORD, clock.now()).actor()
    with pytest.raises((InvalidValue, InvalidValues)) as refused:
        app.set_security_information(actor, clock.now(), PASSWORD, dict(ANSWERS))
    problems = refused.value.problems if isinstance(refused.value, InvalidValues) else [refused.value]  # one answer exhausted, or more at once
    assert [p.field for p in problems] == [f"security_answers.{q}" for q in exhausted]
    assert all("choose a new answer" in p.reason for p in problems)
    assert app.get_user(jane.user_id).security_renewal_required  # nothing changed
    app.set_security_information(actor, clock.now(), PASSWORD, {**ANSWERS, **{q: f"New answer {i}" for i, q in enumerate(exhausted)}})
    assert not app.get_user(jane.user_id).security_renewal_required


def test_the_same_answer_to_two_questions_is_refused(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    actor = app.log_in(jane.username, PASSWORD, clock.now()).actor()
    with pytest.raises(InvalidValue) as refused:
        app.set_security_information(actor, clock.now(), PASSWORD, {"first_pet": "Rex", "first_school": "rex!", "place_of_birth": "Leeds"})
    assert refused.value.field in ("security_answers.first_pet", "security_answers.first_school")
    assert refused.value.reason == "must differ from your other answers"
