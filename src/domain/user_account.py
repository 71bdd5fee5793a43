"""A user's account: one-time passwords, activation, own password and security
information, log-ins and the lock.

Credentials themselves (password hashes, one-time-password digests, security
answers) never reach the aggregate or its events; the service layer checks
them in the credential store and tells the aggregate what happened.
The events here are ``User`` events (``User.Activated``, …): the aggregate
class redefines them under its own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import partial

from domain.actors import Actor
from domain.base import From, SemaAggregate, updates
from domain.errors import AccountLocked, AccountUnavailable, AlreadyActivated, AlreadySo, InvalidValue, InvalidValues, OneTimePasswordStillValid
from domain.user_challenges import revealable

SECURITY_QUESTIONS: dict[str, str] = {
    "mothers_maiden_name": "Mother's maiden name",
    "first_school": "First school",
    "place_of_birth": "Place of birth",
    "first_pet": "Name of first pet",
    "favourite_teacher": "Favourite teacher's surname",
    "childhood_street": "Street you grew up in",
    "fathers_middle_name": "Father's middle name",
}
SECURITY_ANSWERS_REQUIRED = 3


def check_questions(questions: list[str]) -> list[str]:
    if len(questions) != SECURITY_ANSWERS_REQUIRED or len(set(questions)) != len(questions):
        raise InvalidValue("security_answers", f"answer exactly {SECURITY_ANSWERS_REQUIRED} different questions")
    for question in questions:
        if question not in SECURITY_QUESTIONS:
            raise InvalidValue("security_answers", f"{question!r} is not one of the questions: {', '.join(SECURITY_QUESTIONS)}")
    return sorted(questions)


def _refuse_revealed_answer(question: str) -> None:
    raise InvalidValue(
        f"security_answers.{question}", "about half of this answer's letters have been given to administrators: choose a new answer"
    )


class Account(SemaAggregate):
    """The account half of ``User`` (a mixin: ``User.__init__`` calls :meth:`_open_account`)."""

    def _open_account(self) -> None:
        self.has_own_password = False
        self.one_time_password_expires_at: datetime | None = None
        self.security_questions: list[str] = []
        self.security_renewal_required = False
        self.revealed: dict[str, list[int]] = {}
        self.failed_log_ins = 0
        self.failed_challenges = 0
        self.locked = False
        self.lock_reason: str | None = None
        self.last_log_in_at: datetime | None = None

    # Kept by the user's lifecycle (``domain.user``), read here.
    suspended: bool
    purged: bool
    deleted_at: datetime | None

    def _require_present(self) -> None:
        raise NotImplementedError  # domain.user.User: not deleted, not purged

    @property
    def gone(self) -> bool:
        return self.purged or self.deleted_at is not None

    @property
    def activated(self) -> bool:
        return self.has_own_password and bool(self.security_questions)

    @property
    def must_change_password(self) -> bool:
        return not self.has_own_password

    @property
    def must_set_security_information(self) -> bool:
        return not self.security_questions or self.security_renewal_required

    class OneTimePasswordIssued(SemaAggregate.Event):
        expires_at: datetime
        apply = updates(has_own_password=False, one_time_password_expires_at=From("expires_at"))

    class OneTimePasswordExpired(SemaAggregate.Event):
        apply = updates(one_time_password_expires_at=None)

    class Activated(SemaAggregate.Event):
        questions: list[str]

        def apply(self, user: Account) -> None:
            user.has_own_password = True
            user.one_time_password_expires_at = None
            user._security_information_set(self.questions)

    class PasswordChanged(SemaAggregate.Event):
        apply = updates(has_own_password=True, one_time_password_expires_at=None)

    class SecurityInformationSet(SemaAggregate.Event):
        questions: list[str]
        # Questions answered again as they were: the letters revealed of them stay revealed.
        still_revealed: list[str] | None = None

        def apply(self, user: Account) -> None:
            user._security_information_set(self.questions, self.still_revealed or ())

    class LoggedIn(SemaAggregate.Event):
        apply = updates(failed_log_ins=0, last_log_in_at=From("timestamp"))

    class LogInFailed(SemaAggregate.Event):
        consecutive_failures: int
        apply = updates(failed_log_ins=From("consecutive_failures"))

    class Locked(SemaAggregate.Event):
        reason: str
        apply = updates(locked=True, lock_reason=From("reason"))

    class Unlocked(SemaAggregate.Event):
        apply = updates(locked=False, lock_reason=None, failed_log_ins=0, failed_challenges=0)

    def _security_information_set(self, questions: list[str], still_revealed: Iterable[str] = ()) -> None:
        kept = set(still_revealed)
        self.security_questions = list(questions)
        self.security_renewal_required = False
        self.revealed = {q: positions for q, positions in self.revealed.items() if q in kept}

    # ------------------------------------------------------------- commands

    def issue_one_time_password(self, expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_present()
        if expires_at <= at:
            raise InvalidValue("expires_at", "a one-time password must expire in the future")
        self._record(self.OneTimePasswordIssued, by, at, expires_at=expires_at)

    def reissue_one_time_password(self, expires_at: datetime, by: Actor, at: datetime) -> None:
        """A user who never activated has no answers to be challenged on: their
        administrator issues a new one-time password (with a new welcome letter),
        whether the last one expired or was lost; it replaces the last one."""
        self._require_present()
        if self.has_own_password or self.security_questions:
            raise AlreadyActivated(user_id=self.id)
        self.issue_one_time_password(expires_at, by, at)

    def expire_one_time_password(self, by: Actor, at: datetime) -> None:
        expires_at = self.one_time_password_expires_at
        if expires_at is None or self.has_own_password:
            raise AlreadySo("there is no one-time password to expire")
        if at < expires_at:
            raise OneTimePasswordStillValid(user_id=self.id, until=expires_at)
        self._record(self.OneTimePasswordExpired, by, at)

    def check_can_log_in(self, at: datetime, *, with_one_time_password: bool) -> None:
        """Raises why this account may not log in now; the caller has checked the secret."""
        self._check_reachable()
        if self.locked:
            raise AccountLocked()
        if with_one_time_password:
            expires_at = self.one_time_password_expires_at
            if expires_at is None or at >= expires_at:
                raise AccountUnavailable("waiting for a new one-time password (the last one expired)")

    def _check_reachable(self) -> None:
        if self.gone:
            raise AccountUnavailable("deleted")
        if self.suspended:
            raise AccountUnavailable("suspended")

    def log_in(self, by: Actor, at: datetime, *, with_one_time_password: bool) -> None:
        self.check_can_log_in(at, with_one_time_password=with_one_time_password)
        self._record(self.LoggedIn, by, at)

    def fail_log_in(self, by: Actor, at: datetime, max_failures: int) -> None:
        """A wrong password was given; the ``max_failures``-th in a row locks the account.

        Nothing is recorded for a locked or deleted account: its history must
        not grow with every guess (the lock already says enough)."""
        if self.gone or self.locked:
            return
        failures = self.failed_log_ins + 1
        self._record(self.LogInFailed, by, at, consecutive_failures=failures)
        if failures >= max_failures and not self.locked:
            self._record(self.Locked, by, at, reason=f"{failures} failed log-ins in a row")

    def activate(self, questions: list[str], by: Actor, at: datetime) -> None:
        """First log-in: own password chosen and security information set together."""
        self._require_self_service()
        if self.activated and not self.must_change_password:
            raise AlreadySo("the account is already activated")
        self._record(self.Activated, by, at, questions=check_questions(questions))

    def change_password(self, by: Actor, at: datetime) -> None:
        self._require_self_service()
        self._record(self.PasswordChanged, by, at)

    def set_security_information(self, questions: list[str], by: Actor, at: datetime, unchanged: Mapping[str, int] | None = None) -> None:
        """``unchanged``: the questions answered as they are answered now, each with its
        answer's length (the caller compares the answers, which never reach an event).
        The letters already revealed of such an answer stay revealed, so answering it
        again does not reopen it to administrators; one about half revealed must be
        answered anew."""
        self._require_self_service()
        questions = check_questions(questions)
        kept = {q: n for q, n in (unchanged or {}).items() if q in questions and self.revealed.get(q)}
        InvalidValues.check(
            *(
                partial(_refuse_revealed_answer, q)
                for q, n in sorted(kept.items())
                if len(self.revealed[q]) >= revealable(n)
            )
        )
        self._record(self.SecurityInformationSet, by, at, questions=questions, still_revealed=sorted(kept) or None)

    def _require_self_service(self) -> None:
        self._require_present()
        self._check_reachable()
        if self.locked:
            raise AccountLocked()
