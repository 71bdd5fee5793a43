"""Authenticating a user by letters of their security answers, and the
password reset a passed challenge allows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.errors import UserLocked
from domain.permissions import require_service_administrator
from domain.user_challenges import choose_positions
from sema.services.context import Service
from sema.services.results import ChallengePrompt
from sema.services.runner import UnitOfWork, command


class Challenges(Service):
    def issue(self, actor: Actor, at: datetime, user_id: UUID) -> ChallengePrompt:
        """Random letter positions from at least two answers, avoiding revealed ones.
        An open challenge it replaces counts as failed, and may lock the account."""
        prompt = self._issue(actor, at, user_id)
        if prompt is None:
            raise UserLocked("the open challenge this one replaced counted as failed, and locked the user's account; unlock it first", user_id=user_id)
        return prompt

    @command
    def _issue(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID) -> ChallengePrompt | None:
        user = self.aggregates.administered_user(actor, user_id)
        user.check_can_be_challenged()
        lengths = self.credentials.answer_lengths(uow.session, user.id)
        positions = choose_positions(user.id, lengths, user.revealed, self.settings.challenge_letters, self.context.secrets.rng)
        user.abandon_challenge(actor, at, self.settings.max_failed_challenges)
        if user.locked:
            uow.save(user)  # the failure and the lock stand; there is no new challenge
            return None
        challenge_id, expires_at = self.context.new_id(), at + self.settings.challenge_lifetime
        user.issue_challenge(challenge_id, positions, lengths, expires_at, actor, at)
        uow.save(user)
        return ChallengePrompt(challenge_id=challenge_id, positions=positions, expires_at=expires_at)

    @command
    def answer(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, challenge_id: UUID, letters: Sequence[str]) -> bool:
        """Pass or fail only; which letter was wrong is never told."""
        user = self.aggregates.administered_user(actor, user_id)
        challenge = user.challenge_to_answer(challenge_id, at, letters)
        passed = self.credentials.letters_match(uow.session, user.id, list(challenge.positions), list(letters))
        if passed:
            user.pass_challenge(challenge_id, actor, at)
        else:
            user.fail_challenge(challenge_id, actor, at, self.settings.max_failed_challenges)
        uow.save(user)
        return passed

    @command
    def expire(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID) -> None:
        require_service_administrator(actor)
        user = self.aggregates.user(user_id)
        user.expire_challenge(actor, at, self.settings.max_failed_challenges)
        uow.save(user)

    @command
    def reset_password(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID) -> tuple[str, datetime]:
        """After a passed challenge: a new one-time password; the old password stops working."""
        otp = self.context.secrets.one_time_password()
        expires_at = at + self.settings.one_time_password_lifetime
        user = self.aggregates.administered_user(actor, user_id)
        user.reset_password(expires_at, actor, at, self.settings.passed_challenge_validity)
        self.credentials.set_one_time_passwords(uow.session, [self.credentials.one_time_password_row(user.id, otp, at)])
        uow.save(user)
        return otp, expires_at
