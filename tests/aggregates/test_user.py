"""The User aggregate's rules, stated without a store."""

from __future__ import annotations

from datetime import timedelta
from random import Random
from uuid import UUID, uuid4

import pytest

from aggregate_testkit import ADMIN, OTHER_ADMIN, ORG, SERVICE_ADMIN, SYSTEM, T0, Given, days, then, then_types
from domain.errors import (
    AlreadyActivated,
    AccountLocked,
    AccountUnavailable,
    AlreadySo,
    CannotChangeOwnStatus,
    ChallengeNotOpen,
    ChallengeOutOfTime,
    ChallengeTooNarrow,
    GrantNotInForce,
    InvalidValue,
    InvalidValues,
    LetterRevealedBefore,
    NoPassedChallenge,
    NoSecurityInformation,
    PassedChallengeTooOld,
    SecurityInformationExhausted,
    UndeletePeriodOver,
    UndeletePeriodRunning,
    UserDeleted,
)
from domain.naming import MAX_PERSON_NAME
from domain.user import Status, User
from domain.user_challenges import choose_positions

QUESTIONS = ["first_school", "mothers_maiden_name", "place_of_birth"]
LENGTHS = {"first_school": 14, "mothers_maiden_name": 8, "place_of_birth": 10}
CHALLENGE = UUID("30000000-0000-0000-0000-000000000001")


def registered(user_id: UUID | None = None) -> Given:
    return (
        Given(User, user_id)
        .event(
            "Registered",
            organisation_id=ORG,
            kind="person",
            username="jane.doe",
            first_name="Jane",
            last_name="Doe",
            primary_address="jane.doe@org.cjsm.net",
            original_address=None,
            old_style_address="janedoe-org@cjsm.net",
            mailbox_id=None,
            directory={},
            ex_directory=False,
        )
        .event("OneTimePasswordIssued", expires_at=T0 + days(14))
    )


def active() -> Given:
    return registered().event("Activated", by=SYSTEM, questions=QUESTIONS)


def challenged(by=ADMIN, at=T0) -> Given:  # type: ignore[no-untyped-def]
    return active().event(
        "ChallengeIssued", at=at, by=by, challenge_id=CHALLENGE, positions=[["first_school", 1], ["place_of_birth", 2]], expires_at=at + timedelta(minutes=10), security_renewal_required=False
    )


# ------------------------------------------------------------ registration


def test_registering_a_user_issues_their_first_one_time_password() -> None:
    user = User.register(
        id=uuid4(), organisation_id=ORG, username="jane.doe", first_name="Jane", last_name="Doe", primary_address="jane.doe@org.cjsm.net", one_time_password_expires_at=T0 + days(14), by=ADMIN, at=T0
    )
    assert then_types(user) == ["Registered", "OneTimePasswordIssued"]
    assert (user.status, user.must_change_password, user.must_set_security_information) == (Status.PENDING_ACTIVATION, True, True)


def test_a_one_time_password_must_expire_in_the_future() -> None:
    user = registered().aggregate()
    with pytest.raises(InvalidValue) as refused:
        user.issue_one_time_password(T0, ADMIN, T0)
    assert refused.value.field == "expires_at"


def test_a_user_who_never_activated_is_given_a_new_one_time_password_by_their_administrator() -> None:
    user = registered().event("OneTimePasswordExpired", by=SYSTEM, at=T0 + days(14)).aggregate()
    user.reissue_one_time_password(T0 + days(30), ADMIN, T0 + days(16))
    assert then(user) == [("OneTimePasswordIssued", {"expires_at": T0 + days(30)})]
    assert user.one_time_password_expires_at == T0 + days(30)


def test_an_activated_user_is_not_given_a_one_time_password_but_authenticated_by_a_challenge() -> None:
    with pytest.raises(AlreadyActivated):
        active().aggregate().reissue_one_time_password(T0 + days(30), ADMIN, T0 + days(1))
    with pytest.raises(UserDeleted):
        registered().event("Deleted", undeletable_until=T0 + days(30)).aggregate().reissue_one_time_password(T0 + days(30), ADMIN, T0 + days(1))


def test_a_first_name_is_changed_trimmed_once_and_never_to_nothing() -> None:
    user = registered().aggregate()
    user.change_first_name(" Janet ", ADMIN, T0)
    assert then(user) == [("FirstNameChanged", {"first_name": "Janet"})]
    with pytest.raises(AlreadySo):
        user.change_first_name("Janet", ADMIN, T0)
    with pytest.raises(InvalidValue) as refused:
        user.change_first_name("  ", ADMIN, T0)
    assert refused.value.field == "first_name"


def register(first_name: str, last_name: str) -> User:
    return User.register(
        id=uuid4(), organisation_id=ORG, username="jane.doe", first_name=first_name, last_name=last_name, primary_address="jane.doe@org.cjsm.net", one_time_password_expires_at=T0 + days(14), by=ADMIN, at=T0
    )


def test_a_user_is_registered_with_names_trimmed_and_of_at_most_the_limit() -> None:
    longest = "J" * MAX_PERSON_NAME
    user = register(f" {longest} ", "Doe ")
    assert (user.first_name, user.last_name) == (longest, "Doe")
    with pytest.raises(InvalidValue) as refused:
        register("Jane", "D" * (MAX_PERSON_NAME + 1))
    assert (refused.value.field, refused.value.reason) == ("last_name", f"must be at most {MAX_PERSON_NAME} characters")
    with pytest.raises(InvalidValue) as refused:
        register(" ", "Doe")
    assert refused.value.field == "first_name"


def test_a_user_registered_with_both_names_at_fault_is_refused_naming_each() -> None:
    with pytest.raises(InvalidValues) as refused:
        register("J" * (MAX_PERSON_NAME + 1), "")
    assert [p.field for p in refused.value.problems] == ["first_name", "last_name"]


def test_a_name_is_never_changed_to_one_longer_than_the_limit() -> None:
    user = registered().aggregate()
    for change, field in ((user.change_first_name, "first_name"), (user.change_last_name, "last_name")):
        with pytest.raises(InvalidValue) as refused:
            change("x" * (MAX_PERSON_NAME + 1), ADMIN, T0)
        assert (refused.value.field, refused.value.reason) == (field, f"must be at most {MAX_PERSON_NAME} characters")
    assert then(user) == []
    user.change_last_name("D" * MAX_PERSON_NAME, ADMIN, T0)
    assert then(user) == [("LastNameChanged", {"last_name": "D" * MAX_PERSON_NAME})]


# ----------------------------------------------------------------- statuses


def test_an_administrator_cannot_suspend_or_delete_themself() -> None:
    user_id = UUID(ADMIN.id)
    user = registered(user_id).aggregate()
    for command in (user.suspend, user.delete):
        with pytest.raises(CannotChangeOwnStatus):
            command(ADMIN, T0)
    assert then(user) == []


def test_deleting_records_when_the_undelete_period_ends() -> None:
    user = registered().aggregate()
    user.delete(ADMIN, T0)
    assert then(user) == [("Deleted", {"undeletable_until": T0 + days(30)})]


def test_a_deleted_user_can_be_undeleted_until_the_30_days_end() -> None:
    history = registered().event("Deleted", undeletable_until=T0 + days(30))
    user = history.aggregate()
    user.undelete(ADMIN, T0 + days(30) - timedelta(seconds=1))
    assert then_types(user) == ["Undeleted"]
    late = history.aggregate()
    with pytest.raises(UndeletePeriodOver):
        late.undelete(ADMIN, T0 + days(30))


def test_a_deleted_user_is_purged_only_after_the_30_days_releasing_every_address() -> None:
    history = registered().event("Deleted", undeletable_until=T0 + days(30))
    with pytest.raises(UndeletePeriodRunning) as refused:
        history.aggregate().purge(SYSTEM, T0 + days(29))
    assert refused.value.until == T0 + days(30)
    user = history.aggregate()
    user.purge(SYSTEM, T0 + days(30))
    assert then(user) == [("Purged", {"released_addresses": ["jane.doe@org.cjsm.net", "janedoe-org@cjsm.net"]})]


def test_a_deleted_user_changes_nothing_until_undeleted() -> None:
    user = registered().event("Deleted", undeletable_until=T0 + days(30)).aggregate()
    with pytest.raises(UserDeleted):
        user.suspend(OTHER_ADMIN, T0)
    with pytest.raises(AlreadySo):
        user.delete(OTHER_ADMIN, T0)


# ------------------------------------------------------------------ log-in


def test_the_fifth_failed_log_in_in_a_row_locks_the_account() -> None:
    user = active().aggregate()
    for _ in range(5):
        user.fail_log_in(SYSTEM, T0, max_failures=5)
    assert then_types(user) == ["LogInFailed"] * 5 + ["Locked"]
    with pytest.raises(AccountLocked):
        user.check_can_log_in(T0, with_one_time_password=False)


def test_a_log_in_in_between_starts_the_count_again() -> None:
    user = active().event("LogInFailed", consecutive_failures=4).event("LoggedIn").aggregate()
    user.fail_log_in(SYSTEM, T0, max_failures=5)
    assert then(user) == [("LogInFailed", {"consecutive_failures": 1})]


def test_an_expired_one_time_password_does_not_log_in() -> None:
    user = registered().aggregate()
    with pytest.raises(AccountUnavailable):
        user.check_can_log_in(T0 + days(14), with_one_time_password=True)


def test_activation_needs_three_different_questions_from_the_list() -> None:
    user = registered().aggregate()
    for questions in (QUESTIONS[:2], [QUESTIONS[0]] * 3, ["favourite_colour", *QUESTIONS[:2]]):
        with pytest.raises(InvalidValue) as refused:
            user.activate(questions, SYSTEM, T0)
        assert refused.value.field == "security_answers"
    user.activate(QUESTIONS, SYSTEM, T0)
    assert then(user) == [("Activated", {"questions": QUESTIONS})]


# ---------------------------------------------------------------- challenges


def test_a_challenge_asks_for_letters_of_at_least_two_answers() -> None:
    user = active().aggregate()
    with pytest.raises(ChallengeTooNarrow):
        user.issue_challenge(CHALLENGE, [("first_school", 1), ("first_school", 2)], LENGTHS, T0 + timedelta(minutes=10), ADMIN, T0)


def test_a_user_without_security_information_cannot_be_challenged() -> None:
    with pytest.raises(NoSecurityInformation):
        registered().aggregate().check_can_be_challenged()


def test_a_revealed_letter_is_never_asked_again() -> None:
    user = challenged().event("ChallengePassed", challenge_id=CHALLENGE).aggregate()
    with pytest.raises(LetterRevealedBefore):
        user.issue_challenge(uuid4(), [("first_school", 1), ("mothers_maiden_name", 1)], LENGTHS, T0 + timedelta(minutes=10), ADMIN, T0)


def test_once_half_of_an_answer_is_revealed_the_user_must_renew_their_security_information() -> None:
    user = active().aggregate()
    user.issue_challenge(CHALLENGE, [("mothers_maiden_name", 1), ("mothers_maiden_name", 2), ("mothers_maiden_name", 3), ("mothers_maiden_name", 4), ("place_of_birth", 1)], LENGTHS, T0 + timedelta(minutes=10), ADMIN, T0)
    ((_, issued),) = then(user)
    assert issued["security_renewal_required"] and user.must_set_security_information


def test_positions_come_from_two_answers_and_avoid_revealed_ones() -> None:
    revealed = {"first_school": [1, 2, 3]}
    for seed in range(50):
        positions = choose_positions(uuid4(), LENGTHS, revealed, 3, Random(seed))
        assert len({q for q, _ in positions}) >= 2 and len(positions) == 3
        assert not any(q == "first_school" and p <= 3 for q, p in positions)


def test_with_one_answer_left_unrevealed_no_challenge_can_be_chosen() -> None:
    with pytest.raises(SecurityInformationExhausted):
        choose_positions(uuid4(), {"a": 2, "b": 2}, {"a": [1, 2]}, 3, Random(1))


def test_a_challenge_is_answered_once_and_before_it_expires() -> None:
    history = challenged()
    with pytest.raises(ChallengeOutOfTime):
        history.aggregate().pass_challenge(CHALLENGE, ADMIN, T0 + timedelta(minutes=10))
    user = history.event("ChallengePassed", challenge_id=CHALLENGE).aggregate()
    with pytest.raises(ChallengeNotOpen):
        user.fail_challenge(CHALLENGE, ADMIN, T0, max_failures=3)


def test_an_answer_of_the_wrong_number_of_letters_is_refused_and_the_challenge_stays_open() -> None:
    user = challenged().aggregate()  # two positions asked
    for letters in (["a", "b", "c"], ["a"], []):
        with pytest.raises(InvalidValue) as refused:
            user.challenge_to_answer(CHALLENGE, T0, letters)
        assert (refused.value.field, refused.value.reason) == ("letters", f"give 2 letters, one for each position asked; {len(letters)} were given")
    assert then(user) == [] and user.challenge is not None
    assert user.challenge_to_answer(CHALLENGE, T0, ["ë", "#"]) is user.challenge  # compared, and failed, by the letters themselves
    with pytest.raises(ChallengeOutOfTime):
        user.challenge_to_answer(CHALLENGE, T0 + timedelta(minutes=10), ["a", "b"])


def test_the_third_failed_challenge_in_a_row_locks_the_account() -> None:
    user = active().event("ChallengeFailed", challenge_id=uuid4(), consecutive_failures=2).aggregate()
    user.issue_challenge(CHALLENGE, [("first_school", 1), ("place_of_birth", 2)], LENGTHS, T0 + timedelta(minutes=10), ADMIN, T0)
    user.collect_events()
    user.fail_challenge(CHALLENGE, ADMIN, T0, max_failures=3)
    assert then_types(user) == ["ChallengeFailed", "Locked"]


def test_a_password_is_reset_only_by_the_administrator_who_saw_the_challenge_passed_recently() -> None:
    history = challenged().event("ChallengePassed", challenge_id=CHALLENGE)
    with pytest.raises(NoPassedChallenge):
        history.aggregate().reset_password(T0 + days(14), OTHER_ADMIN, T0, timedelta(minutes=30))
    with pytest.raises(PassedChallengeTooOld):
        history.aggregate().reset_password(T0 + days(14), ADMIN, T0 + timedelta(minutes=31), timedelta(minutes=30))
    user = history.aggregate()
    user.reset_password(T0 + days(14), ADMIN, T0 + timedelta(minutes=5), timedelta(minutes=30))
    assert then(user) == [("PasswordReset", {"challenge_id": CHALLENGE, "one_time_password_expires_at": T0 + days(14)})]
    with pytest.raises(NoPassedChallenge):
        user.reset_password(T0 + days(14), ADMIN, T0 + timedelta(minutes=6), timedelta(minutes=30))


# -------------------------------------------------------- reset under a grant


def test_a_user_is_reset_only_under_a_grant_in_force() -> None:
    grant = uuid4()
    requested = active().event("ExceptionalAccessRequested", grant_id=grant, kind="user_reset", reason="forgot her answers")
    with pytest.raises(GrantNotInForce):
        requested.aggregate().reset(grant, T0 + days(14), ADMIN, T0)
    granted = requested.event("ExceptionalAccessGranted", by=SERVICE_ADMIN, grant_id=grant, expires_at=T0 + days(30))
    with pytest.raises(GrantNotInForce):
        granted.aggregate().reset(grant, T0 + days(14), ADMIN, T0 + days(30))
    user = granted.aggregate()
    user.reset(grant, T0 + days(14), ADMIN, T0 + days(1))
    assert then_types(user) == ["UserReset"]
    assert (user.status, user.security_questions, user.grant(grant).state) == (Status.PENDING_ACTIVATION, [], "used")


def test_a_reset_of_a_deleted_user_is_neither_asked_for_nor_approved_until_they_are_undeleted() -> None:
    deleted = active().event("Deleted", undeletable_until=T0 + days(30))
    user = deleted.aggregate()
    with pytest.raises(UserDeleted):
        user.request_exceptional_access(uuid4(), "forgot her answers", ADMIN, T0 + days(1))
    assert then(user) == []
    grant = uuid4()
    asked_before = active().event("ExceptionalAccessRequested", grant_id=grant, kind="user_reset", reason="forgot her answers").event("Deleted", undeletable_until=T0 + days(30))
    user = asked_before.aggregate()
    with pytest.raises(UserDeleted):
        user.grant_exceptional_access(grant, T0 + days(31), SERVICE_ADMIN, T0 + days(1))
    user.refuse_exceptional_access(grant, "the user was deleted", SERVICE_ADMIN, T0 + days(1))
    assert then_types(user) == ["ExceptionalAccessRefused"]
    user = asked_before.event("Undeleted").aggregate()
    user.grant_exceptional_access(grant, T0 + days(31), SERVICE_ADMIN, T0 + days(1))
    assert then_types(user) == ["ExceptionalAccessGranted"]


# ------------------------------------------------------- details and addresses


def test_only_an_alias_can_be_removed() -> None:
    user = registered().aggregate()
    with pytest.raises(InvalidValue):
        user.remove_alias("jane.doe@org.cjsm.net", ADMIN, T0)
    user.remove_alias("janedoe-org@cjsm.net", ADMIN, T0)
    assert then(user) == [("AliasRemoved", {"address": "janedoe-org@cjsm.net"})]


def test_a_new_secure_address_keeps_the_old_one_as_an_alias() -> None:
    user = registered().aggregate()
    user.change_secure_address("jane.smith@org.cjsm.net", ADMIN, T0)
    assert user.addresses == ["jane.smith@org.cjsm.net", "janedoe-org@cjsm.net", "jane.doe@org.cjsm.net"]


def test_directory_details_are_only_the_known_fields() -> None:
    user = registered().aggregate()
    with pytest.raises(InvalidValue) as refused:
        user.change_directory_details({"shoe_size": "9"}, ADMIN, T0)
    assert refused.value.field == "shoe_size"


# ---------------------------------------------------------------- snapshots


def test_a_snapshot_through_the_event_stores_encoding_gives_back_the_same_user() -> None:
    from eventsourcing.application import Application

    user = challenged().event("AddressBookEntrySaved", entry_kind="user", entry_id=uuid4()).aggregate()
    user.request_exceptional_access(uuid4(), "locked out before the audit", ADMIN, T0)
    user.collect_events()
    assert user.grants and user.challenge is not None and user.address_book
    mapper = Application().mapper  # the library's default transcodings, as the event store's
    stored = mapper.to_stored_event(User.Snapshot.take(user))
    restored = mapper.to_domain_event(stored).mutate(None)
    assert vars(restored) == vars(user)
