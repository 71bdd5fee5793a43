"""Log-in, activation and what each person does for their own credentials.

Passwords are verified and hashed (argon2, slow on purpose) before the
command's transaction opens, so no writer waits for a hash.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from uuid import UUID

from domain.actors import Actor, Role, role_for
from domain.claims import UsernameClaim
from domain.errors import AlreadySo, InvalidCredentials, InvalidValue, InvalidValues, TooManyLogInAttempts
from domain.user import User, UserKind, check_questions
from sema.credentials import ONE_TIME_PASSWORD, check_answers, check_new_password
from sema.services.context import Service, ServiceContext
from sema.services.results import LogInResult
from sema.services.runner import UnitOfWork
from sema.throttle import Throttle


class Activation(Service):
    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        first, longest = timedelta(seconds=self.settings.log_in_first_delay_s), timedelta(seconds=self.settings.log_in_longest_delay_s)
        # By username (typed, so unknown ones too), then by client address.
        self.throttles = (
            Throttle(self.settings.log_in_free_failures, first, longest),
            Throttle(self.settings.log_in_free_failures_per_client, first, longest),
        )

    def find_user_id(self, username: str) -> UUID | None:
        return self.claims.owner(UsernameClaim, username)

    def role_of(self, user: User) -> Role:
        administers = user.kind not in (UserKind.SERVICE_ADMINISTRATOR, UserKind.AUDITOR) and self.aggregates.organisation(user.organisation_id).is_administrator(user.id)
        return role_for(user.kind, administers)

    def log_in(self, username: str, password: str, at: datetime, request_id: str | None = None, client: str | None = None) -> LogInResult:
        """Unknown username, wrong password and locked account fail the same way
        (and take as long: one argon2 verification each). The account's state is
        told only once the password is proven, and a lock not even then.
        Throttled attempts (``sema.throttle``) are refused before anything is checked."""
        keys = self._throttle_keys(username, client)
        self._admit(keys, at)
        user_id = self.find_user_id(username)
        if user_id is None:
            self.credentials.burn_time_as_if_verifying()
            raise InvalidCredentials()
        with self.context.runner.read() as session:
            matched = self.credentials.verify_password(session, user_id, password)
        actor = Actor(id=str(user_id), role=Role.USER, request_id=request_id)

        def work(uow: UnitOfWork) -> LogInResult | None:
            user = self.aggregates.user(user_id)
            if matched is None or user.locked:
                user.fail_log_in(actor, at, self.settings.max_failed_log_ins)
                uow.save(user)
                return None
            user.log_in(actor, at, with_one_time_password=matched == ONE_TIME_PASSWORD)
            uow.save(user)
            return LogInResult(
                user_id=user.id,
                username=user.username,
                organisation_id=user.organisation_id,
                role=self.role_of(user),
                must_change_password=user.must_change_password,
                must_set_security_information=user.must_set_security_information,
            )

        result = self.run(work)
        if result is None:
            raise InvalidCredentials()
        self._passed(keys)
        return result

    @staticmethod
    def _throttle_keys(username: str, client: str | None) -> list[str]:
        """By username (as typed, so unknown ones too), then by client address."""
        return ["username:" + username.strip().casefold()] + ([f"client:{client}"] if client else [])

    def _passed(self, keys: list[str]) -> None:
        """The password was right: the username starts afresh; the shared client address takes back this attempt."""
        self.throttles[0].succeeded(keys[0])
        if len(keys) > 1:
            self.throttles[1].refund(keys[1])

    def _admit(self, keys: list[str], at: datetime) -> None:
        """Each attempt counts against its username and client address until it succeeds."""
        waits = [throttle.attempt(key, at) for throttle, key in zip(self.throttles, keys)]
        if max(waits) > timedelta(0):
            for throttle, key, wait in zip(self.throttles, keys, waits):
                if not wait:
                    throttle.refund(key)  # not tried after all
            raise TooManyLogInAttempts(retry_after_s=math.ceil(max(waits).total_seconds()))

    def complete_first_log_in(self, actor: Actor, at: datetime, new_password: str, security_answers: dict[str, str] | None) -> None:
        """Replaces the one-time password and, where needed, sets security information."""
        user = self.aggregates.own_user(actor)

        def answers_given() -> None:
            if user.must_set_security_information and not security_answers:
                raise InvalidValue("security_answers", "answer three security questions")
            if security_answers:
                check_questions(list(security_answers))
                check_answers(security_answers)

        def password_chosen() -> None:
            check_new_password("new_password", new_password, user.username)
            # The one-time password was on a letter an administrator handled: not a password of one's own.
            with self.context.runner.read() as session:
                if self.credentials.is_one_time_password(session, user.id, new_password):
                    raise InvalidValue("new_password", "must differ from the one-time password")

        InvalidValues.check(password_chosen, answers_given)
        answers = check_answers(security_answers) if security_answers else None
        password_hash = self.credentials.hash_password(new_password)

        def work(uow: UnitOfWork) -> None:
            user = self.aggregates.own_user(actor)
            if not user.must_change_password and not user.must_set_security_information:
                raise AlreadySo("the account is already activated")
            if not user.security_questions and answers:
                user.activate(list(answers), actor, at)
            else:
                if user.must_change_password:
                    user.change_password(actor, at)
                if answers:
                    user.set_security_information(list(answers), actor, at, self.credentials.unchanged_answers(uow.session, user.id, answers))
            self.credentials.set_password(uow.session, user.id, password_hash, at)
            if answers:
                self.credentials.set_answers(uow.session, user.id, answers, at)
            uow.save(user)

        self.run(work)

    def _require_current_password(self, actor: Actor, at: datetime, current_password: str, client: str | None) -> None:
        """Re-authentication: a stolen session alone cannot change credentials, nor
        guess the password faster than a log-in may. The check is a log-in attempt:
        the same throttles (by the account's username and the client address), and a
        wrong password counts towards the lock and is recorded as a failed log-in."""
        user = self.aggregates.own_user(actor)
        keys = self._throttle_keys(user.username, client)
        self._admit(keys, at)
        with self.context.runner.read() as session:
            matched = self.credentials.verify_password(session, user.id, current_password)
        if matched is None:

            def work(uow: UnitOfWork) -> None:
                user = self.aggregates.own_user(actor)
                user.fail_log_in(actor, at, self.settings.max_failed_log_ins)
                uow.save(user)

            self.run(work)
            raise InvalidValue("current_password", "is not correct")
        self._passed(keys)

    def change_password(self, actor: Actor, at: datetime, current_password: str, new_password: str, client: str | None = None) -> None:
        user = self.aggregates.own_user(actor)
        check_new_password("new_password", new_password, user.username)
        self._require_current_password(actor, at, current_password, client)
        if new_password == current_password:
            raise InvalidValue("new_password", "must differ from the current password")
        password_hash = self.credentials.hash_password(new_password)

        def work(uow: UnitOfWork) -> None:
            user = self.aggregates.own_user(actor)
            user.change_password(actor, at)
            self.credentials.set_password(uow.session, user.id, password_hash, at)
            uow.save(user)

        self.run(work)

    def set_security_information(self, actor: Actor, at: datetime, current_password: str, security_answers: dict[str, str], client: str | None = None) -> None:
        answers = check_answers(security_answers)
        self._require_current_password(actor, at, current_password, client)

        def work(uow: UnitOfWork) -> None:
            user = self.aggregates.own_user(actor)
            user.set_security_information(list(answers), actor, at, self.credentials.unchanged_answers(uow.session, user.id, answers))
            self.credentials.set_answers(uow.session, user.id, answers, at)
            uow.save(user)

        self.run(work)
