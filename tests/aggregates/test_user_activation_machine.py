"""The User's activation, challenge and reset flow as a state machine, without a
store: activation, a new one-time password for one who never activated, its
expiry, challenges issued (until half of the answers is revealed), passed, failed
(locking at the third) and left to expire (a failure too),
the password reset a passed challenge allows, and unlocking. Each step runs on
the aggregate and on a plain model; the aggregate rebuilt from its events must
agree with both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from aggregate_testkit import ADMIN, ORG, OTHER_ADMIN, SYSTEM, T0, attempted, rebuilt
from domain.actors import Actor, Role
from domain.errors import (
    AccountLocked,
    AlreadyActivated,
    AlreadySo,
    ChallengeNotOpen,
    ChallengeOutOfTime,
    ChallengeStillOpen,
    DomainError,
    NoPassedChallenge,
    NoSecurityInformation,
    OneTimePasswordStillValid,
    PassedChallengeTooOld,
    SecurityInformationExhausted,
    UserLocked,
)
from domain.user import User

QUESTIONS = ["first_school", "mothers_maiden_name", "place_of_birth"]
ANSWER_LENGTH = 8  # four letters of each answer may be revealed before it must be renewed
OTP_LIFETIME = timedelta(days=14)
CHALLENGE_LIFETIME = timedelta(minutes=10)
PASSED_WITHIN = timedelta(minutes=15)
MAX_FAILED_CHALLENGES = 3
STEPS = [timedelta(minutes=1), timedelta(minutes=9), timedelta(minutes=6), timedelta(days=1), OTP_LIFETIME]


class UserActivationFlow(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.user = User.register(
            id=uuid4(), organisation_id=ORG, username="jane.doe", first_name="Jane", last_name="Doe",
            primary_address="jane.doe@org.cjsm.net", one_time_password_expires_at=T0 + OTP_LIFETIME, by=ADMIN, at=T0,
        )  # fmt: skip
        self.self_actor = Actor(id=str(self.user.id), role=Role.USER, organisation_id=ORG)
        self.events: list[Any] = list(self.user.collect_events())
        self.model: dict[str, Any] = {
            "own_password": False,
            "security_information": False,
            "ever_activated": False,
            "otp_expires_at": T0 + OTP_LIFETIME,
            "locked": False,
            "failed_challenges": 0,
            "challenge": None,  # (id, expires_at)
            "passed": None,  # (by, at)
            "revealed": 0,  # letters revealed of each of the first two answers since they were set
        }

    def attempt(self, change: Any, expected: type[DomainError] | None) -> bool:
        return attempted(self.user, self.events, change, expected)

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step: timedelta) -> None:
        self.now += step

    @rule()
    def the_user_activates(self) -> None:
        m = self.model
        expected = AccountLocked if m["locked"] else AlreadySo if m["own_password"] and m["security_information"] else None
        if self.attempt(lambda: self.user.activate(QUESTIONS, self.self_actor, self.now), expected):
            m.update(own_password=True, security_information=True, ever_activated=True, otp_expires_at=None, revealed=0)

    @rule()
    def the_administrator_reissues_a_one_time_password(self) -> None:
        m = self.model
        expected = AlreadyActivated if m["own_password"] or m["security_information"] else None
        if self.attempt(lambda: self.user.reissue_one_time_password(self.now + OTP_LIFETIME, ADMIN, self.now), expected):
            m["otp_expires_at"] = self.now + OTP_LIFETIME

    @rule()
    def the_one_time_password_expires(self) -> None:
        m = self.model
        if m["otp_expires_at"] is None or m["own_password"]:
            expected: type[DomainError] | None = AlreadySo
        else:
            expected = OneTimePasswordStillValid if self.now < m["otp_expires_at"] else None
        if self.attempt(lambda: self.user.expire_one_time_password(SYSTEM, self.now), expected):
            m["otp_expires_at"] = None

    @rule()
    def the_administrator_issues_a_challenge(self) -> None:
        m = self.model
        if not m["security_information"]:
            expected: type[DomainError] | None = NoSecurityInformation
        elif m["locked"]:
            expected = UserLocked
        else:
            expected = SecurityInformationExhausted if m["revealed"] >= ANSWER_LENGTH // 2 else None
        challenge_id = uuid4()
        position = m["revealed"] + 1  # the next letter of the first two answers
        positions = [(QUESTIONS[0], position), (QUESTIONS[1], position)]
        lengths = dict.fromkeys(QUESTIONS, ANSWER_LENGTH)
        if self.attempt(lambda: self.user.issue_challenge(challenge_id, positions, lengths, self.now + CHALLENGE_LIFETIME, ADMIN, self.now), expected):
            m.update(challenge=(challenge_id, self.now + CHALLENGE_LIFETIME), revealed=position)

    def _answerable(self) -> type[DomainError] | None:
        challenge = self.model["challenge"]
        if challenge is None:
            return ChallengeNotOpen
        return ChallengeOutOfTime if self.now >= challenge[1] else None

    @rule()
    def the_user_passes_the_challenge(self) -> None:
        m = self.model
        challenge_id = m["challenge"][0] if m["challenge"] else uuid4()
        if self.attempt(lambda: self.user.pass_challenge(challenge_id, ADMIN, self.now), self._answerable()):
            m.update(challenge=None, failed_challenges=0, passed=(ADMIN.id, self.now))

    def _failed(self) -> None:
        m = self.model
        m.update(challenge=None, failed_challenges=m["failed_challenges"] + 1, passed=None)
        if m["failed_challenges"] >= MAX_FAILED_CHALLENGES:
            m["locked"] = True

    @rule()
    def the_user_fails_the_challenge(self) -> None:
        m = self.model
        challenge_id = m["challenge"][0] if m["challenge"] else uuid4()
        if self.attempt(lambda: self.user.fail_challenge(challenge_id, ADMIN, self.now, MAX_FAILED_CHALLENGES), self._answerable()):
            self._failed()

    @rule()
    def the_challenge_expires_unanswered_which_counts_as_a_failure(self) -> None:
        m = self.model
        if m["challenge"] is None:
            expected: type[DomainError] | None = AlreadySo
        else:
            expected = ChallengeStillOpen if self.now < m["challenge"][1] else None
        if self.attempt(lambda: self.user.expire_challenge(SYSTEM, self.now, MAX_FAILED_CHALLENGES), expected):
            self._failed()

    @rule(same_administrator=st.booleans())
    def an_administrator_resets_the_password(self, same_administrator: bool) -> None:
        m = self.model
        admin = ADMIN if same_administrator else OTHER_ADMIN
        passed = m["passed"]
        if passed is None or passed[0] != admin.id:
            expected: type[DomainError] | None = NoPassedChallenge
        else:
            expected = PassedChallengeTooOld if self.now - passed[1] > PASSED_WITHIN else None
        if self.attempt(lambda: self.user.reset_password(self.now + OTP_LIFETIME, admin, self.now, PASSED_WITHIN), expected):
            m.update(passed=None, own_password=False, otp_expires_at=self.now + OTP_LIFETIME)

    @rule()
    def the_administrator_unlocks(self) -> None:
        m = self.model
        if self.attempt(lambda: self.user.unlock(ADMIN, self.now), None if m["locked"] else AlreadySo):
            m.update(locked=False, failed_challenges=0)

    @invariant()
    def the_aggregate_and_its_rebuild_agree_with_the_model(self) -> None:
        rebuild = rebuilt(self.events)
        m = self.model
        for user in (self.user, rebuild):
            challenge = (user.challenge.challenge_id, user.challenge.expires_at) if user.challenge else None
            passed = (user.passed_challenge.by, user.passed_challenge.at) if user.passed_challenge else None
            assert (user.has_own_password, bool(user.security_questions), user.one_time_password_expires_at) == (m["own_password"], m["security_information"], m["otp_expires_at"])
            assert (user.locked, user.failed_challenges, challenge, passed) == (m["locked"], m["failed_challenges"], m["challenge"], m["passed"])
            # Activated exactly when the user has their own password and security information.
            assert user.activated == (m["own_password"] and m["security_information"])
            assert user.security_renewal_required == (m["revealed"] >= ANSWER_LENGTH // 2)
        assert any(type(e).__name__ == "Activated" for e in self.events) == m["ever_activated"]


TestUserActivationFlow = UserActivationFlow.TestCase
