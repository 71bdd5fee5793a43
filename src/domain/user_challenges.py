"""Authenticating a user by letters of their security answers, and the password
reset it allows.

An administrator asks for a challenge: random letter positions from at least
two answers, never a position revealed before. The administrator types the
letters the user reads out and learns only pass or fail. Positions are chosen
by :func:`choose_positions` from an injected random source, so the aggregate
stays pure and tests can seed it. At most half of an answer's letters are
ever revealed (:func:`revealable`); once an answer has given that many, the
user must set new security information before the next challenge. A
challenge left unanswered (expired or replaced) is a failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.base import From, SemaAggregate, updates
from domain.errors import (
    AlreadySo,
    ChallengeNotOpen,
    ChallengeOutOfTime,
    ChallengeStillOpen,
    ChallengeTooNarrow,
    InvalidValue,
    LetterRevealedBefore,
    NoPassedChallenge,
    NoSecurityInformation,
    PassedChallengeTooOld,
    SecurityInformationExhausted,
    UserLocked,
)

Position = tuple[str, int]  # (question, 1-based letter position in the normalised answer)


@dataclass(frozen=True)
class OpenChallenge:
    challenge_id: UUID
    positions: tuple[Position, ...]
    expires_at: datetime
    issued_by: str


@dataclass(frozen=True)
class PassedChallenge:
    challenge_id: UUID
    by: str
    at: datetime


def revealable(length: int) -> int:
    """At most half of an answer's letters (rounded down) are ever revealed before the user renews it."""
    return length // 2


def choose_positions(user_id: UUID, lengths: dict[str, int], revealed: dict[str, list[int]], letters: int, rng: Random) -> list[Position]:
    """``letters`` unrevealed positions (at least two) from at least two answers,
    never more of an answer than :func:`revealable` allows, sorted."""
    budget = {q: revealable(n) - len(revealed.get(q, [])) for q, n in lengths.items()}
    unrevealed = {q: [p for p in range(1, n + 1) if p not in revealed.get(q, [])] for q, n in lengths.items()}
    usable = [q for q, left in budget.items() if left > 0 and unrevealed[q]]
    if len(usable) < 2:
        raise SecurityInformationExhausted(user_id=user_id)
    count = max(2, min(letters, sum(budget[q] for q in usable)))
    questions = rng.sample(usable, 2)
    while len(questions) < count:
        questions.append(rng.choice(usable))
    picked: list[Position] = []
    for question in questions:
        left = [p for p in unrevealed[question] if (question, p) not in picked]
        if left and sum(1 for q, _ in picked if q == question) < budget[question]:
            picked.append((question, rng.choice(left)))
    return sorted(picked)


class Challenges(SemaAggregate):
    """The challenge half of ``User`` (a mixin: ``User.__init__`` calls :meth:`_open_challenges`)."""

    # Kept by the account (domain.user_account), read and changed here.
    security_questions: list[str]
    security_renewal_required: bool
    revealed: dict[str, list[int]]
    failed_challenges: int
    locked: bool
    has_own_password: bool
    one_time_password_expires_at: datetime | None
    failed_log_ins: int

    def _open_challenges(self) -> None:
        self.challenge: OpenChallenge | None = None
        self.passed_challenge: PassedChallenge | None = None

    def _require_present(self) -> None:
        raise NotImplementedError  # domain.user.User: not deleted, not purged

    class ChallengeIssued(SemaAggregate.Event):
        challenge_id: UUID
        positions: list[list[Any]]  # [[question, 1-based letter position], ...]
        expires_at: datetime
        security_renewal_required: bool

        def apply(self, user: Challenges) -> None:
            positions = tuple((str(q), int(p)) for q, p in self.positions)
            user.challenge = OpenChallenge(self.challenge_id, positions, self.expires_at, self.actor_id)
            for question, position in positions:
                revealed = user.revealed.setdefault(question, [])
                if position not in revealed:
                    revealed.append(position)
            user.security_renewal_required = user.security_renewal_required or self.security_renewal_required

    class ChallengePassed(SemaAggregate.Event):
        challenge_id: UUID

        def apply(self, user: Challenges) -> None:
            user.challenge = None
            user.failed_challenges = 0
            user.passed_challenge = PassedChallenge(self.challenge_id, self.actor_id, self.timestamp)

    class ChallengeFailed(SemaAggregate.Event):
        challenge_id: UUID
        consecutive_failures: int
        abandoned: bool = False  # left unanswered (replaced or expired): a failure all the same
        apply = updates(challenge=None, failed_challenges=From("consecutive_failures"), passed_challenge=None)

    class ChallengeExpired(SemaAggregate.Event):
        challenge_id: UUID
        apply = updates(challenge=None)

    class PasswordReset(SemaAggregate.Event):
        challenge_id: UUID
        one_time_password_expires_at: datetime
        apply = updates(passed_challenge=None, has_own_password=False, one_time_password_expires_at=From("one_time_password_expires_at"), failed_log_ins=0)

    def issue_challenge(
        self,
        challenge_id: UUID,
        positions: list[Position],
        answer_lengths: dict[str, int],
        expires_at: datetime,
        by: Actor,
        at: datetime,
    ) -> None:
        """``answer_lengths`` only decides whether about half of an answer has now
        been revealed; it is not recorded."""
        self.check_can_be_challenged()
        if len({q for q, _ in positions}) < 2:
            raise ChallengeTooNarrow()
        revealed_after = {q: set(p) for q, p in self.revealed.items()}
        for question, position in positions:
            if question not in self.security_questions:
                raise InvalidValue("positions", f"{question} is not one of the user's security questions")
            if not 1 <= position <= answer_lengths.get(question, 0):
                raise InvalidValue("positions", f"letter {position} is outside the answer to {question}")
            if position in revealed_after.get(question, set()):
                raise LetterRevealedBefore(question=question, position=position)
            revealed_after.setdefault(question, set()).add(position)
            if len(revealed_after[question]) > revealable(answer_lengths[question]):
                raise SecurityInformationExhausted(user_id=self.id)
        # Renewal once any answer has given all it may: the next challenge must wait for new answers.
        renewal = any(len(revealed_after.get(q, ())) >= revealable(n) for q, n in answer_lengths.items())
        self._record(
            self.ChallengeIssued,
            by,
            at,
            challenge_id=challenge_id,
            positions=[[q, p] for q, p in positions],
            expires_at=expires_at,
            security_renewal_required=renewal,
        )

    def check_can_be_challenged(self) -> None:
        self._require_present()
        if not self.security_questions:
            raise NoSecurityInformation(user_id=self.id)
        if self.locked:
            raise UserLocked(user_id=self.id)
        if self.security_renewal_required:
            raise SecurityInformationExhausted(user_id=self.id)

    def open_challenge(self, challenge_id: UUID, at: datetime) -> OpenChallenge:
        challenge = self.challenge
        if challenge is None or challenge.challenge_id != challenge_id:
            raise ChallengeNotOpen(challenge_id=challenge_id)
        if at >= challenge.expires_at:
            raise ChallengeOutOfTime(challenge_id=challenge_id)
        return challenge

    def challenge_to_answer(self, challenge_id: UUID, at: datetime, letters: Sequence[str]) -> OpenChallenge:
        """The open challenge, if ``letters`` can be compared with it: one for each position
        asked. A miscounted answer is refused, not failed: it must neither use up the
        challenge nor count towards the lock. (A wrong letter, of any kind, fails it.)"""
        challenge = self.open_challenge(challenge_id, at)
        if len(letters) != len(challenge.positions):
            raise InvalidValue("letters", f"give {len(challenge.positions)} letters, one for each position asked; {len(letters)} were given")
        return challenge

    def pass_challenge(self, challenge_id: UUID, by: Actor, at: datetime) -> None:
        self.open_challenge(challenge_id, at)
        self._record(self.ChallengePassed, by, at, challenge_id=challenge_id)

    def fail_challenge(self, challenge_id: UUID, by: Actor, at: datetime, max_failures: int) -> None:
        self.open_challenge(challenge_id, at)
        self._fail(challenge_id, by, at, max_failures, abandoned=False)

    def _fail(self, challenge_id: UUID, by: Actor, at: datetime, max_failures: int, *, abandoned: bool) -> None:
        failures = self.failed_challenges + 1
        self._record(self.ChallengeFailed, by, at, challenge_id=challenge_id, consecutive_failures=failures, abandoned=abandoned)
        if failures >= max_failures and not self.locked:
            self._record(self.Locked, by, at, reason=f"{failures} failed authentication challenges in a row")  # type: ignore[attr-defined]

    def expire_challenge(self, by: Actor, at: datetime, max_failures: int) -> None:
        """Its time is up unanswered: a failure, as if the letters were wrong."""
        challenge = self.challenge
        if challenge is None:
            raise AlreadySo("there is no open challenge")
        if at < challenge.expires_at:
            raise ChallengeStillOpen(challenge_id=challenge.challenge_id)
        self._fail(challenge.challenge_id, by, at, max_failures, abandoned=True)

    def abandon_challenge(self, by: Actor, at: datetime, max_failures: int) -> None:
        """A new challenge replaces the open one: the open one failed (else asking
        again and again would harvest letters for free)."""
        if self.challenge is not None:
            self._fail(self.challenge.challenge_id, by, at, max_failures, abandoned=True)

    def reset_password(self, one_time_password_expires_at: datetime, by: Actor, at: datetime, passed_within: timedelta) -> None:
        """Only after a challenge passed with the same administrator, recently, once."""
        self._require_present()
        passed = self.passed_challenge
        if passed is None or passed.by != by.id:
            raise NoPassedChallenge(user_id=self.id)
        if at - passed.at > passed_within:
            raise PassedChallengeTooOld(user_id=self.id)
        self._record(
            self.PasswordReset,
            by,
            at,
            challenge_id=passed.challenge_id,
            one_time_password_expires_at=one_time_password_expires_at,
        )
