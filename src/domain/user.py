"""The User aggregate: an account's whole lifecycle.

This module keeps registration, statuses (suspended, deleted with its undelete
period, purged, ex-directory), directory details and addresses, and the reset
under exceptional access. The account (one-time passwords, activation, log-in,
lock), authentication by security letters and the address book are mixins of
their own modules; their events are ``User`` events all the same.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.address_book import AddressBookKeeping
from domain.base import From, SemaAggregate, UNDELETE_PERIOD, updates
from domain.errors import (
    AlreadySo,
    CannotChangeOwnStatus,
    InvalidValue,
    UndeletePeriodOver,
    UndeletePeriodRunning,
    UserDeleted,
    UserNotDeleted,
    UserPurged,
)
from domain.grants import GrantingAggregate, GrantState
from domain.naming import check_person_name, check_person_names
from domain.user_account import SECURITY_ANSWERS_REQUIRED, SECURITY_QUESTIONS, Account, check_questions
from domain.user_challenges import Challenges
from domain.user_snapshot import UserSnapshot

__all__ = ["SECURITY_ANSWERS_REQUIRED", "SECURITY_QUESTIONS", "DIRECTORY_FIELDS", "Status", "User", "UserKind", "check_questions"]

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


class User(Challenges, Account, AddressBookKeeping, GrantingAggregate):
    Snapshot = UserSnapshot  # see domain.user_snapshot

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
        self._open_account()
        self._open_challenges()
        self._open_address_book()
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
        self.suspended = False
        self.deleted_at: datetime | None = None
        self.undeletable_until: datetime | None = None
        self.purged = False

    # ---------------------------------------------------------------- queries

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
    def addresses(self) -> list[str]:
        return [self.primary_address, *self.aliases]

    @property
    def can_receive_mail(self) -> bool:
        return not (self.suspended or self.deleted or self.purged)

    @property
    def can_administer(self) -> bool:
        """An appointed administrator who can act: neither suspended, deleted nor purged."""
        return not (self.suspended or self.deleted or self.purged)

    @property
    def receives_notices(self) -> bool:
        """The service's notices reach a user until they are deleted (as the outbox writes them)."""
        return not (self.deleted or self.purged)

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
        first_name, last_name = check_person_names(first_name, last_name)
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

    # ------------------------------------------------------------ statuses

    class Suspended(SemaAggregate.Event):
        apply = updates(suspended=True)

    class Unsuspended(SemaAggregate.Event):
        apply = updates(suspended=False)

    class Deleted(SemaAggregate.Event):
        undeletable_until: datetime
        apply = updates(deleted_at=From("timestamp"), undeletable_until=From("undeletable_until"), challenge=None, passed_challenge=None)

    class Undeleted(SemaAggregate.Event):
        apply = updates(deleted_at=None, undeletable_until=None)

    class Purged(SemaAggregate.Event):
        released_addresses: list[str]

        def apply(self, user: User) -> None:
            user.purged = True
            user.aliases = []

    class MarkedExDirectory(SemaAggregate.Event):
        apply = updates(ex_directory=True)

    class UnmarkedExDirectory(SemaAggregate.Event):
        apply = updates(ex_directory=False)

    def suspend(self, by: Actor, at: datetime) -> None:
        self._require_present()
        self._require_not_self(by)
        if self.suspended:
            raise AlreadySo("the user is already suspended")
        self._record(self.Suspended, by, at)

    def unsuspend(self, by: Actor, at: datetime) -> None:
        self._switch(self.Unsuspended, not self.suspended, "the user is not suspended", by, at)

    def delete(self, by: Actor, at: datetime) -> None:
        self._require_not_self(by)
        if self.purged:
            raise AlreadySo("the user has been purged")
        if self.deleted:
            raise AlreadySo("the user is already deleted")
        self._record(self.Deleted, by, at, undeletable_until=at + UNDELETE_PERIOD)

    def undelete(self, by: Actor, at: datetime) -> None:
        if self.purged:
            raise UserPurged("the user has been purged and cannot be undeleted", user_id=self.id)
        if not self.deleted:
            raise AlreadySo("the user is not deleted")
        assert self.undeletable_until is not None  # set together with deleted_at
        if at >= self.undeletable_until:
            raise UndeletePeriodOver(user_id=self.id, until=self.undeletable_until)
        self._record(self.Undeleted, by, at)

    def purge(self, by: Actor, at: datetime) -> None:
        if self.purged:
            raise AlreadySo("the user has already been purged")
        if not self.deleted:
            raise UserNotDeleted(user_id=self.id)
        assert self.undeletable_until is not None  # set together with deleted_at
        if at < self.undeletable_until:
            raise UndeletePeriodRunning(user_id=self.id, until=self.undeletable_until)
        self._record(self.Purged, by, at, released_addresses=self.addresses)

    def unlock(self, by: Actor, at: datetime) -> None:
        self._switch(self.Unlocked, not self.locked, "the user is not locked", by, at)

    def mark_ex_directory(self, by: Actor, at: datetime) -> None:
        self._switch(self.MarkedExDirectory, self.ex_directory, "the user is already ex-directory", by, at)

    def unmark_ex_directory(self, by: Actor, at: datetime) -> None:
        self._switch(self.UnmarkedExDirectory, not self.ex_directory, "the user is not ex-directory", by, at)

    def _switch(self, event: type[SemaAggregate.Event], already_so: bool, saying: str, by: Actor, at: datetime) -> None:
        """A present user's status switched on or off: recorded unless it is so already."""
        self._require_present()
        if already_so:
            raise AlreadySo(saying)
        self._record(event, by, at)

    def _require_present(self) -> None:
        if self.purged:
            raise UserPurged(user_id=self.id)
        if self.deleted:
            raise UserDeleted(user_id=self.id)

    def _require_not_self(self, by: Actor) -> None:
        """An administrator who suspended or deleted themself would be locked out of undoing it."""
        if by.id == str(self.id):
            raise CannotChangeOwnStatus(user_id=self.id)

    # ------------------------------------------------- details and addresses

    class DirectoryDetailsChanged(SemaAggregate.Event):
        details: dict[str, str]

        def apply(self, user: User) -> None:
            for field, value in self.details.items():
                if value:
                    user.directory[field] = value
                else:
                    user.directory.pop(field, None)

    class FirstNameChanged(SemaAggregate.Event):
        first_name: str

        def apply(self, user: User) -> None:
            user.first_name = self.first_name

    class LastNameChanged(SemaAggregate.Event):
        last_name: str
        apply = updates(last_name=From("last_name"))

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

    def change_first_name(self, first_name: str, by: Actor, at: datetime) -> None:
        self._record(self.FirstNameChanged, by, at, first_name=self._changed_name("first_name", first_name, self.first_name))

    def change_last_name(self, last_name: str, by: Actor, at: datetime) -> None:
        self._record(self.LastNameChanged, by, at, last_name=self._changed_name("last_name", last_name, self.last_name))

    def _changed_name(self, field: str, name: str, current: str) -> str:
        self._require_present()
        name = check_person_name(field, name)
        if name == current:
            raise AlreadySo(f"the {field.replace('_', ' ')} is already so")
        return name

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

    # -------------------------------------------- reset user (exceptional access)

    class UserReset(SemaAggregate.Event):
        grant_id: UUID
        one_time_password_expires_at: datetime

        def apply(self, user: User) -> None:
            user._update_grant(self.grant_id, state=GrantState.USED, ended_at=self.timestamp)
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

    def request_exceptional_access(self, grant_id: UUID, reason: str, by: Actor, at: datetime) -> None:
        """A reset is asked for, and approved, only for a user who is there to be reset:
        a deleted user's would wait on a grant that could not be carried out."""
        self._require_present()
        super().request_exceptional_access(grant_id, reason, by, at)

    def grant_exceptional_access(self, grant_id: UUID, expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_present()
        super().grant_exceptional_access(grant_id, expires_at, by, at)

    def reset(self, grant_id: UUID, one_time_password_expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_present()
        self.active_grant(grant_id, at)
        self._record(self.UserReset, by, at, grant_id=grant_id, one_time_password_expires_at=one_time_password_expires_at)
