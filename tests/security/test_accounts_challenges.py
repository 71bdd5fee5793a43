"""Challenges cannot harvest answers (issue 10, finding 8): at most half of
each answer's letters is ever revealed before the user must renew, an
abandoned challenge is a failure, and the user is told of every challenge,
failure and lock."""

from __future__ import annotations

import pytest

from domain.errors import DomainError, SecurityInformationExhausted, UserLocked
from domain.user import Status
from sema.application import CreatedUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import normalise_answer
from testkit import NORMALISED, SERVICE_ADMIN, Org, activate, add_user, letters_for, organisation_with_admin, outbox_rows


@pytest.fixture
def organisation(app: SemaApplication, clock: SettableClock) -> Org:
    return organisation_with_admin(app, clock.now(), code="org")


@pytest.fixture
def jane(app: SemaApplication, clock: SettableClock, organisation: Org) -> CreatedUser:
    created = add_user(app, organisation, clock.now(), "Jane", "Doe")
    activate(app, created, clock.now())
    return created


def test_answered_challenges_never_reveal_more_than_half_of_an_answer(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    revealed: dict[str, set[int]] = {q: set() for q in NORMALISED}
    for _ in range(20):
        try:
            prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        except SecurityInformationExhausted:
            break
        for question, position in prompt.positions:
            revealed[question].add(position)
        assert app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, letters_for(prompt.positions))
    else:
        raise AssertionError("challenges went on for ever")
    assert all(len(revealed[q]) <= len(NORMALISED[q]) // 2 for q in NORMALISED), revealed
    assert app.get_user(jane.user_id).must_set_security_information


def test_asking_again_and_again_without_answering_harvests_at_most_half_of_each_answer(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    for _ in range(12):  # the harvest of the review: ask and ask, never answer
        try:
            app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        except (UserLocked, SecurityInformationExhausted):
            break
    else:
        raise AssertionError("twelve challenges issued without an answer")
    user = app.get_user(jane.user_id)
    assert all(len(user.revealed.get(q, [])) <= len(NORMALISED[q]) // 2 for q in NORMALISED), user.revealed
    assert user.failed_challenges >= 1


def test_a_replaced_challenge_is_a_failure(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    assert app.get_user(jane.user_id).failed_challenges == 1


def test_challenges_left_to_expire_count_as_failures_and_lock(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    for _ in range(app.settings.max_failed_challenges):
        prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        clock.set(prompt.expires_at)
        app.expire_challenge(SERVICE_ADMIN, clock.now(), jane.user_id)
    user = app.get_user(jane.user_id)
    assert user.status == Status.LOCKED and user.failed_challenges == app.settings.max_failed_challenges
    with pytest.raises(DomainError):
        app.issue_challenge(organisation.admin, clock.now(), jane.user_id)


# Long enough that four challenges can never use up half of one (two letters of an answer at most per challenge).
LONG_ANSWERS = {"mothers_maiden_name": "Wolfeschlegelsteinhausen", "first_school": "Llanfairpwllgwyngyll Primary", "place_of_birth": "Taumatawhakatangihanga"}


def test_the_user_is_told_of_each_challenge_issued_passed_failed_and_of_the_lock(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    jane = add_user(app, organisation, clock.now(), "Jane", "Doe")
    activate(app, jane, clock.now(), answers=LONG_ANSWERS)
    prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
    letters = [normalise_answer(LONG_ANSWERS[q])[p - 1] for q, p in prompt.positions]
    app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, letters)
    for _ in range(app.settings.max_failed_challenges):
        prompt = app.issue_challenge(organisation.admin, clock.now(), jane.user_id)
        assert not app.answer_challenge(organisation.admin, clock.now(), jane.user_id, prompt.challenge_id, ["#"] * len(prompt.positions))
    reasons = [r["reason"] for r in outbox_rows(app) if r["recipient_user_id"] == str(jane.user_id)]
    assert reasons.count("challenge_issued") == 1 + app.settings.max_failed_challenges
    assert reasons.count("authenticated_by_security_letters") == 1
    assert reasons.count("challenge_failed") == app.settings.max_failed_challenges
    assert reasons.count("account_locked") == 1
    bodies = " ".join(r["body"] for r in outbox_rows(app))
    assert not any(normalise_answer(answer) in bodies.upper() for answer in LONG_ANSWERS.values())
