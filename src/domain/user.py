"""The User aggregate: an account's whole lifecycle.

Credentials themselves (password hashes, one-time-password digests, security
answers) never reach this aggregate or its events; the application service
checks them in the credential store and tells the user what happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate, UNDELETE_PERIOD
from domain.errors import AccountLocked, AccountUnavailable, AlreadySo, InvalidValue, RuleViolated
from domain.grants import GrantingAggregate, GrantState

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
DIRECTORY_FIELDS = ("office_address", "telephone", "mobile", "department", "job_title")


class UserKind:
    PERSON = "person"
    SERVICE_ADMINISTRATOR = "service_administrator"
    AUDITOR = "auditor"


class Status:
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    LOCKED = "locked"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    PURGED = "purged"


class User(GrantingAggregate):
    grant_kind = "user_reset"

    class Registered(SemaAggregate.Created):
        organisation_id: UUID
        kind: str
        username: str
        first_name: str
        last_name: str
        primary_address: str
        original_address: str | None
        old_style_address: str | None
        mailbox_id: UUID | None
        directory: dict[str, str]
        ex_directory: bool

    def __init__(
        self,
        *,
        organisation_id: UUID,
        kind: str,
        username: str,
        first_name: str,
        last_name: str,
        primary_address: str,
        original_address: str | None,
        old_style_address: str | None,
        mailbox_id: UUID | None,
        directory: dict[str, str],
        ex_directory: bool,
    ) -> None:
        self.grants = {}
        self.organisation_id = organisation_id
        self.kind = kind
        self.username = username
        self.first_name = first_name
        self.last_name = last_name
        self.primary_address = primary_address
        self.original_address = original_address
        self.aliases: list[str] = [old_style_address] if old_style_address else []
        self.mailbox_id = mailbox_id
        self.directory = dict(directory)
        self.ex_directory = ex_directory
        self.has_own_password = False
        self.one_time_password_expires_at: datetime | None = None
        self.security_questions: list[str] = []
        self.security_renewal_required = False
        self.revealed: dict[str, list[int]] = {}
        self.failed_log_ins = 0
        self.failed_challenges = 0
        self.locked = False
        self.lock_reason: str | None = None
        self.suspended = False
        self.deleted_at: datetime | None = None
        self.undeletable_until: datetime | None = None
        self.purged = False
        self.last_log_in_at: datetime | None = None
        self.challenge: dict[str, Any] | None = None
        self.passed_challenge: dict[str, Any] | None = None
        self.address_book: dict[str, str] = {}

    # ---------------------------------------------------------------- queries

    @property
    def activated(self) -> bool:
        return self.has_own_password and bool(self.security_questions)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def status(self) -> str:
        if self.purged:
            return Status.PURGED
        if self.deleted:
            return Status.DELETED
        if self.suspended:
            return Status.SUSPENDED
        if self.locked:
            return Status.LOCKED
        if not self.activated:
            return Status.PENDING_ACTIVATION
        return Status.ACTIVE

    @property
    def must_change_password(self) -> bool:
        return not self.has_own_password

    @property
    def must_set_security_information(self) -> bool:
        return not self.security_questions or self.security_renewal_required

    @property
    def addresses(self) -> list[str]:
        return [self.primary_address, *self.aliases]

    @property
    def can_receive_mail(self) -> bool:
        return not (self.suspended or self.deleted or self.purged)

    # ------------------------------------------------------------- creation

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        organisation_id: UUID,
        username: str,
        first_name: str,
        last_name: str,
        primary_address: str,
        one_time_password_expires_at: datetime,
        by: Actor,
        at: datetime,
        kind: str = UserKind.PERSON,
        original_address: str | None = None,
        old_style_address: str | None = None,
        mailbox_id: UUID | None = None,
        directory: dict[str, str] | None = None,
        ex_directory: bool = False,
    ) -> User:
        user = cls._new(
            cls.Registered,
            id,
            by,
            at,
            organisation_id=organisation_id,
            kind=kind,
            username=username,
            first_name=first_name,
            last_name=last_name,
            primary_address=primary_address,
            original_address=original_address,
            old_style_address=old_style_address,
            mailbox_id=mailbox_id,
            directory=dict(directory or {}),
            ex_directory=ex_directory,
        )
        user.issue_one_time_password(one_time_password_expires_at, by, at)
        return user

    # ------------------------------------------------------ credentials, log-in

    class OneTimePasswordIssued(SemaAggregate.Event):
        expires_at: datetime

        def apply(self, user: User) -> None:
            user.has_own_password = False
            user.one_time_password_expires_at = self.expires_at

    class OneTimePasswordExpired(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.one_time_password_expires_at = None

    class Activated(SemaAggregate.Event):
        questions: list[str]

        def apply(self, user: User) -> None:
            user.has_own_password = True
            user.one_time_password_expires_at = None
            user.security_questions = list(self.questions)
            user.security_renewal_required = False
            user.revealed = {}

    class PasswordChanged(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.has_own_password = True
            user.one_time_password_expires_at = None

    class SecurityInformationSet(SemaAggregate.Event):
        questions: list[str]

        def apply(self, user: User) -> None:
            user.security_questions = list(self.questions)
            user.security_renewal_required = False
            user.revealed = {}

    class LoggedIn(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.failed_log_ins = 0
            user.last_log_in_at = self.timestamp

    class LogInFailed(SemaAggregate.Event):
        consecutive_failures: int

        def apply(self, user: User) -> None:
            user.failed_log_ins = self.consecutive_failures

    class Locked(SemaAggregate.Event):
        reason: str

        def apply(self, user: User) -> None:
            user.locked = True
            user.lock_reason = self.reason

    class Unlocked(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.locked = False
            user.lock_reason = None
            user.failed_log_ins = 0
            user.failed_challenges = 0

    def issue_one_time_password(self, expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_present()
        if expires_at <= at:
            raise InvalidValue("expires_at", "a one-time password must expire in the future")
        self._record(self.OneTimePasswordIssued, by, at, expires_at=expires_at)

    def expire_one_time_password(self, by: Actor, at: datetime) -> None:
        expires_at = self.one_time_password_expires_at
        if expires_at is None or self.has_own_password:
            raise AlreadySo("there is no one-time password to expire")
        if at < expires_at:
            raise RuleViolated(f"the one-time password is valid until {expires_at.isoformat()}")
        self._record(self.OneTimePasswordExpired, by, at)

    def check_can_log_in(self, at: datetime, *, with_one_time_password: bool) -> None:
        """Raises why this account may not log in now; the caller has checked the secret."""
        if self.purged or self.deleted:
            raise AccountUnavailable("deleted")
        if self.suspended:
            raise AccountUnavailable("suspended")
        if self.locked:
            raise AccountLocked()
        if with_one_time_password:
            expires_at = self.one_time_password_expires_at
            if expires_at is None or at >= expires_at:
                raise AccountUnavailable("waiting for a new one-time password (the last one expired)")

    def log_in(self, by: Actor, at: datetime, *, with_one_time_password: bool) -> None:
        self.check_can_log_in(at, with_one_time_password=with_one_time_password)
        self._record(self.LoggedIn, by, at)

    def fail_log_in(self, by: Actor, at: datetime, max_failures: int) -> None:
        """A wrong password was given; the ``max_failures``-th in a row locks the account."""
        if self.purged or self.deleted:
            return
        failures = self.failed_log_ins + 1
        self._record(self.LogInFailed, by, at, consecutive_failures=failures)
        if failures >= max_failures and not self.locked:
            self._record(self.Locked, by, at, reason=f"{failures} failed log-ins in a row")

    def activate(self, questions: list[str], by: Actor, at: datetime) -> None:
        """First log-in: own password chosen and security information set together."""
        self._require_self_service(at)
        if self.activated and not self.must_change_password:
            raise AlreadySo("the account is already activated")
        self._record(self.Activated, by, at, questions=check_questions(questions))

    def change_password(self, by: Actor, at: datetime) -> None:
        self._require_self_service(at)
        self._record(self.PasswordChanged, by, at)

    def set_security_information(self, questions: list[str], by: Actor, at: datetime) -> None:
        self._require_self_service(at)
        self._record(self.SecurityInformationSet, by, at, questions=check_questions(questions))

    def _require_self_service(self, at: datetime) -> None:
        self._require_present()
        if self.suspended:
            raise AccountUnavailable("suspended")
        if self.locked:
            raise AccountLocked()

    # ------------------------------------------------------------ statuses

    class Suspended(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.suspended = True

    class Unsuspended(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.suspended = False

    class Deleted(SemaAggregate.Event):
        undeletable_until: datetime

        def apply(self, user: User) -> None:
            user.deleted_at = self.timestamp
            user.undeletable_until = self.undeletable_until
            user.challenge = None
            user.passed_challenge = None

    class Undeleted(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.deleted_at = None
            user.undeletable_until = None

    class Purged(SemaAggregate.Event):
        released_addresses: list[str]

        def apply(self, user: User) -> None:
            user.purged = True
            user.aliases = []

    class MarkedExDirectory(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.ex_directory = True

    class UnmarkedExDirectory(SemaAggregate.Event):
        def apply(self, user: User) -> None:
            user.ex_directory = False

    def suspend(self, by: Actor, at: datetime) -> None:
        self._require_present()
        if self.suspended:
            raise AlreadySo("the user is already suspended")
        self._record(self.Suspended, by, at)

    def unsuspend(self, by: Actor, at: datetime) -> None:
        self._require_present()
        if not self.suspended:
            raise AlreadySo("the user is not suspended")
        self._record(self.Unsuspended, by, at)

    def delete(self, by: Actor, at: datetime) -> None:
        if self.purged:
            raise AlreadySo("the user has been purged")
        if self.deleted:
            raise AlreadySo("the user is already deleted")
        self._record(self.Deleted, by, at, undeletable_until=at + UNDELETE_PERIOD)

    def undelete(self, by: Actor, at: datetime) -> None:
        if self.purged:
            raise RuleViolated("the user has been purged and cannot be undeleted")
        if not self.deleted:
            raise AlreadySo("the user is not deleted")
        assert self.undeletable_until is not None  # set together with deleted_at
        if at >= self.undeletable_until:
            raise RuleViolated(
                f"the user can no longer be undeleted: the 30 days ended at {self.undeletable_until.isoformat()}",
                undeletable_until=self.undeletable_until.isoformat(),
            )
        self._record(self.Undeleted, by, at)

    def purge(self, by: Actor, at: datetime) -> None:
        if self.purged:
            raise AlreadySo("the user has already been purged")
        if not self.deleted:
            raise RuleViolated("only a deleted user can be purged")
        assert self.undeletable_until is not None
        if at < self.undeletable_until:
            raise RuleViolated(f"the user can still be undeleted until {self.undeletable_until.isoformat()}")
        self._record(self.Purged, by, at, released_addresses=self.addresses)

    def unlock(self, by: Actor, at: datetime) -> None:
        self._require_present()
        if not self.locked:
            raise AlreadySo("the user is not locked")
        self._record(self.Unlocked, by, at)

    def mark_ex_directory(self, by: Actor, at: datetime) -> None:
        self._require_present()
        if self.ex_directory:
            raise AlreadySo("the user is already ex-directory")
        self._record(self.MarkedExDirectory, by, at)

    def unmark_ex_directory(self, by: Actor, at: datetime) -> None:
        self._require_present()
        if not self.ex_directory:
            raise AlreadySo("the user is not ex-directory")
        self._record(self.UnmarkedExDirectory, by, at)

    def _require_present(self) -> None:
        if self.purged:
            raise RuleViolated("the user has been purged")
        if self.deleted:
            raise RuleViolated("the user is deleted; undelete them first")

    # ------------------------------------------------- details and addresses

    class DirectoryDetailsChanged(SemaAggregate.Event):
        details: dict[str, str]

        def apply(self, user: User) -> None:
            for field, value in self.details.items():
                if value:
                    user.directory[field] = value
                else:
                    user.directory.pop(field, None)

    class LastNameChanged(SemaAggregate.Event):
        last_name: str

        def apply(self, user: User) -> None:
            user.last_name = self.last_name

    class SecureAddressChanged(SemaAggregate.Event):
        new_address: str
        old_address: str
        original_address: str | None

        def apply(self, user: User) -> None:
            user.aliases.append(self.old_address)
            if self.new_address in user.aliases:
                user.aliases.remove(self.new_address)
            user.primary_address = self.new_address
            user.original_address = self.original_address

    class AliasRemoved(SemaAggregate.Event):
        address: str

        def apply(self, user: User) -> None:
            user.aliases.remove(self.address)

    def change_directory_details(self, details: dict[str, str], by: Actor, at: datetime) -> None:
        self._require_present()
        unknown = set(details) - set(DIRECTORY_FIELDS)
        if unknown:
            raise InvalidValue(sorted(unknown)[0], f"not a directory field; use one of {', '.join(DIRECTORY_FIELDS)}")
        changes = {k: v.strip() for k, v in details.items() if self.directory.get(k, "") != v.strip()}
        if not changes:
            raise AlreadySo("the directory details are already so")
        self._record(self.DirectoryDetailsChanged, by, at, details=changes)

    def change_last_name(self, last_name: str, by: Actor, at: datetime) -> None:
        self._require_present()
        last_name = last_name.strip()
        if not last_name:
            raise InvalidValue("last_name", "must not be empty")
        if last_name == self.last_name:
            raise AlreadySo("the last name is already so")
        self._record(self.LastNameChanged, by, at, last_name=last_name)

    def change_secure_address(self, new_address: str, by: Actor, at: datetime, original_address: str | None = None) -> None:
        """The old primary address stays as an alias that still delivers."""
        self._require_present()
        if new_address == self.primary_address:
            raise AlreadySo("the secure address is already so")
        self._record(
            self.SecureAddressChanged,
            by,
            at,
            new_address=new_address,
            old_address=self.primary_address,
            original_address=original_address if original_address is not None else self.original_address,
        )

    def remove_alias(self, address: str, by: Actor, at: datetime) -> None:
        self._require_present()
        if address not in self.aliases:
            raise InvalidValue("address", f"{address} is not an alias of this user")
        self._record(self.AliasRemoved, by, at, address=address)

    # --------------------------------------- authentication by security letters

    class ChallengeIssued(SemaAggregate.Event):
        challenge_id: UUID
        positions: list[list[Any]]  # [[question, 1-based letter position], ...]
        expires_at: datetime
        security_renewal_required: bool

        def apply(self, user: User) -> None:
            user.challenge = {
                "challenge_id": str(self.challenge_id),
                "positions": [list(p) for p in self.positions],
                "expires_at": self.expires_at,
                "issued_by": self.actor_id,
            }
            for question, position in self.positions:
                user.revealed.setdefault(question, [])
                if position not in user.revealed[question]:
                    user.revealed[question].append(position)
            user.security_renewal_required = user.security_renewal_required or self.security_renewal_required

    class ChallengePassed(SemaAggregate.Event):
        challenge_id: UUID

        def apply(self, user: User) -> None:
            user.challenge = None
            user.failed_challenges = 0
            user.passed_challenge = {"challenge_id": str(self.challenge_id), "by": self.actor_id, "at": self.timestamp}

    class ChallengeFailed(SemaAggregate.Event):
        challenge_id: UUID
        consecutive_failures: int

        def apply(self, user: User) -> None:
            user.challenge = None
            user.failed_challenges = self.consecutive_failures
            user.passed_challenge = None

    class ChallengeExpired(SemaAggregate.Event):
        challenge_id: UUID

        def apply(self, user: User) -> None:
            user.challenge = None

    class PasswordReset(SemaAggregate.Event):
        challenge_id: UUID
        one_time_password_expires_at: datetime

        def apply(self, user: User) -> None:
            user.passed_challenge = None
            user.has_own_password = False
            user.one_time_password_expires_at = self.one_time_password_expires_at
            user.failed_log_ins = 0

    def issue_challenge(
        self,
        challenge_id: UUID,
        positions: list[tuple[str, int]],
        answer_lengths: dict[str, int],
        expires_at: datetime,
        by: Actor,
        at: datetime,
    ) -> None:
        """Positions are 1-based letter positions, chosen by the caller (randomness is
        an input); ``answer_lengths`` only decides whether about half of an answer
        has now been revealed and is not recorded."""
        self._require_present()
        if not self.security_questions:
            raise RuleViolated("the user has not set security information yet")
        if self.locked:
            raise AccountLocked()
        if len({q for q, _ in positions}) < 2:
            raise RuleViolated("a challenge must ask for letters from at least two different answers")
        revealed_after = {q: set(p) for q, p in self.revealed.items()}
        for question, position in positions:
            if question not in self.security_questions:
                raise InvalidValue("positions", f"{question} is not one of the user's security questions")
            if not 1 <= position <= answer_lengths.get(question, 0):
                raise InvalidValue("positions", f"letter {position} is outside the answer to {question}")
            if position in revealed_after.get(question, set()):
                raise RuleViolated(f"letter {position} of {question} has been revealed before")
            revealed_after.setdefault(question, set()).add(position)
        renewal = any(2 * len(revealed_after.get(q, ())) >= n for q, n in answer_lengths.items())
        self._record(
            self.ChallengeIssued,
            by,
            at,
            challenge_id=challenge_id,
            positions=[[q, p] for q, p in positions],
            expires_at=expires_at,
            security_renewal_required=renewal,
        )

    def open_challenge(self, challenge_id: UUID, at: datetime) -> dict[str, Any]:
        challenge = self.challenge
        if challenge is None or challenge["challenge_id"] != str(challenge_id):
            raise RuleViolated("this challenge is not open: it was answered, replaced or never issued")
        if at >= challenge["expires_at"]:
            raise RuleViolated("this challenge has expired; ask for a new one")
        return challenge

    def pass_challenge(self, challenge_id: UUID, by: Actor, at: datetime) -> None:
        self.open_challenge(challenge_id, at)
        self._record(self.ChallengePassed, by, at, challenge_id=challenge_id)

    def fail_challenge(self, challenge_id: UUID, by: Actor, at: datetime, max_failures: int) -> None:
        self.open_challenge(challenge_id, at)
        failures = self.failed_challenges + 1
        self._record(self.ChallengeFailed, by, at, challenge_id=challenge_id, consecutive_failures=failures)
        if failures >= max_failures and not self.locked:
            self._record(self.Locked, by, at, reason=f"{failures} failed authentication challenges in a row")

    def expire_challenge(self, by: Actor, at: datetime) -> None:
        challenge = self.challenge
        if challenge is None:
            raise AlreadySo("there is no open challenge")
        if at < challenge["expires_at"]:
            raise RuleViolated("the challenge has not expired yet")
        self._record(self.ChallengeExpired, by, at, challenge_id=UUID(challenge["challenge_id"]))

    def reset_password(self, one_time_password_expires_at: datetime, by: Actor, at: datetime, passed_within: Any) -> None:
        """Only after a challenge passed with the same administrator, recently, once."""
        self._require_present()
        passed = self.passed_challenge
        if passed is None or passed["by"] != by.id:
            raise RuleViolated("reset the password only after the user has passed an authentication challenge with you")
        if at - passed["at"] > passed_within:
            raise RuleViolated("the passed challenge is too old; authenticate the user again")
        self._record(
            self.PasswordReset,
            by,
            at,
            challenge_id=UUID(passed["challenge_id"]),
            one_time_password_expires_at=one_time_password_expires_at,
        )

    # -------------------------------------------- reset user (exceptional access)

    class UserReset(SemaAggregate.Event):
        grant_id: UUID
        one_time_password_expires_at: datetime

        def apply(self, user: User) -> None:
            user.grants[str(self.grant_id)].update(state=GrantState.USED, ended_at=self.timestamp)
            user.security_questions = []
            user.security_renewal_required = False
            user.revealed = {}
            user.has_own_password = False
            user.one_time_password_expires_at = self.one_time_password_expires_at
            user.locked = False
            user.lock_reason = None
            user.failed_log_ins = 0
            user.failed_challenges = 0
            user.challenge = None
            user.passed_challenge = None

    def reset(self, grant_id: UUID, one_time_password_expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_present()
        self.active_grant(grant_id, at)
        self._record(self.UserReset, by, at, grant_id=grant_id, one_time_password_expires_at=one_time_password_expires_at)

    # ------------------------------------------------------- address book

    class AddressBookEntrySaved(SemaAggregate.Event):
        entry_kind: str
        entry_id: UUID

        def apply(self, user: User) -> None:
            user.address_book[str(self.entry_id)] = self.entry_kind

    class AddressBookEntryRemoved(SemaAggregate.Event):
        entry_id: UUID

        def apply(self, user: User) -> None:
            del user.address_book[str(self.entry_id)]

    def save_address_book_entry(self, entry_kind: str, entry_id: UUID, by: Actor, at: datetime) -> None:
        if entry_kind not in ("user", "distribution_list", "group_mailbox"):
            raise InvalidValue("entry_kind", "must be user, distribution_list or group_mailbox")
        if str(entry_id) in self.address_book:
            raise AlreadySo("the entry is already in the address book")
        self._record(self.AddressBookEntrySaved, by, at, entry_kind=entry_kind, entry_id=entry_id)

    def remove_address_book_entry(self, entry_id: UUID, by: Actor, at: datetime) -> None:
        if str(entry_id) not in self.address_book:
            raise AlreadySo("the entry is not in the address book")
        self._record(self.AddressBookEntryRemoved, by, at, entry_id=entry_id)


def check_questions(questions: list[str]) -> list[str]:
    if len(questions) != SECURITY_ANSWERS_REQUIRED or len(set(questions)) != len(questions):
        raise InvalidValue("security_answers", f"answer exactly {SECURITY_ANSWERS_REQUIRED} different questions")
    for question in questions:
        if question not in SECURITY_QUESTIONS:
            raise InvalidValue("security_answers", f"{question!r} is not one of the questions: {', '.join(SECURITY_QUESTIONS)}")
    return sorted(questions)
