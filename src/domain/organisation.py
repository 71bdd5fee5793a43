"""The Organisation aggregate: its account type, administrators and suspension."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import AlreadySo, DeletedUserCannotAdminister, InvalidValue, MailboxesNotHosted, NotAMemberOfTheOrganisation, NotARelayingUser
from domain.naming import check_email, in_domains, relay_address

if TYPE_CHECKING:
    from domain.user import User


class AccountType:
    SMTP = "smtp"
    GSC = "gsc"
    MAILBOX = "mailbox"
    ALL = (SMTP, GSC, MAILBOX)
    RELAYING = (SMTP, GSC)


class Organisation(SemaAggregate):
    class Registered(SemaAggregate.Created):
        name: str
        code: str
        account_type: str
        domains: list[str]

    def __init__(self, *, name: str, code: str, account_type: str, domains: list[str]) -> None:
        self.name = name
        self.code = code
        self.account_type = account_type
        self.domains = list(domains)
        self.administrators: list[str] = []
        self.suspended = False
        self.suspension_message: str | None = None

    @property
    def hosts_mailboxes(self) -> bool:
        return self.account_type == AccountType.MAILBOX

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        name: str,
        code: str,
        account_type: str,
        domains: list[str],
        by: Actor,
        at: datetime,
    ) -> Organisation:
        name = name.strip()
        if not name:
            raise InvalidValue("name", "must not be empty")
        if account_type not in AccountType.ALL:
            raise InvalidValue("account_type", f"must be one of {', '.join(AccountType.ALL)}")
        if account_type in AccountType.RELAYING and not domains:
            raise InvalidValue("domains", f"an {account_type} organisation must list the mail domains it owns")
        if account_type == AccountType.MAILBOX and domains:
            raise InvalidValue("domains", "a mailbox organisation uses the service's domain and lists none")
        return cls._new(
            cls.Registered, id, by, at, name=name, code=code, account_type=account_type, domains=sorted(set(domains))
        )

    class AdministratorAppointed(SemaAggregate.Event):
        user_id: UUID

        def apply(self, organisation: Organisation) -> None:
            organisation.administrators.append(str(self.user_id))

    class AdministratorRevoked(SemaAggregate.Event):
        user_id: UUID

        def apply(self, organisation: Organisation) -> None:
            organisation.administrators.remove(str(self.user_id))

    class Suspended(SemaAggregate.Event):
        message: str | None

        def apply(self, organisation: Organisation) -> None:
            organisation.suspended = True
            organisation.suspension_message = self.message

    class Unsuspended(SemaAggregate.Event):
        def apply(self, organisation: Organisation) -> None:
            organisation.suspended = False
            organisation.suspension_message = None

    def is_administrator(self, user_id: UUID) -> bool:
        return str(user_id) in self.administrators

    def appoint_administrator(self, user: User, by: Actor, at: datetime) -> None:
        """Only a present user of this organisation can be appointed."""
        if user.organisation_id != self.id:
            raise NotAMemberOfTheOrganisation(user_id=user.id, organisation_id=self.id)
        if user.deleted or user.purged:
            raise DeletedUserCannotAdminister(user_id=user.id)
        if self.is_administrator(user.id):
            raise AlreadySo("the user is already an administrator of the organisation")
        self._record(self.AdministratorAppointed, by, at, user_id=user.id)

    def revoke_administrator(self, user_id: UUID, by: Actor, at: datetime) -> None:
        if not self.is_administrator(user_id):
            raise AlreadySo("the user is not an administrator of the organisation")
        self._record(self.AdministratorRevoked, by, at, user_id=user_id)

    def suspend(self, message: str | None, by: Actor, at: datetime) -> None:
        message = (message or "").strip() or None
        if message is not None and len(message) > 1000:
            raise InvalidValue("message", "must be at most 1000 characters")
        if self.suspended and message == self.suspension_message:
            raise AlreadySo("the organisation is already suspended")
        self._record(self.Suspended, by, at, message=message)

    def unsuspend(self, by: Actor, at: datetime) -> None:
        if not self.suspended:
            raise AlreadySo("the organisation is not suspended")
        self._record(self.Unsuspended, by, at)

    def require_mailboxes(self) -> None:
        if not self.hosts_mailboxes:
            raise MailboxesNotHosted(code=self.code, account_type=self.account_type)

    def relay_address_for(self, original_address: str, service_domain: str) -> tuple[str, str]:
        """smtp/gsc: the normalised original address, which must be in one of the
        organisation's domains, and the secure address that relays to it."""
        original = check_email("original_address", original_address)
        if self.account_type not in AccountType.RELAYING:
            raise NotARelayingUser(organisation_code=self.code)
        if not in_domains(original, self.domains):
            raise InvalidValue("original_address", f"must be in one of the organisation's domains: {', '.join(self.domains)}")
        return original, relay_address(original, service_domain)
