"""The Organisation aggregate: its account type, administrators and suspension."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.actors import Actor
from domain.base import From, joins, leaves, SemaAggregate, updates
from domain.errors import (
    AlreadySo,
    DeletedUserCannotAdminister,
    InvalidValue,
    LastAdministrator,
    LastMailDomain,
    MailboxesNotHosted,
    NoMailDomainsOfItsOwn,
    NotAMemberOfTheOrganisation,
    NotARelayingUser,
)
from domain.naming import check_display_name, check_email, in_domains, relay_address

if TYPE_CHECKING:
    from domain.user import User


class AccountType:
    SMTP = "smtp"
    GSC = "gsc"
    MAILBOX = "mailbox"
    ALL = (SMTP, GSC, MAILBOX)
    RELAYING = (SMTP, GSC)


@dataclass(frozen=True)
class ContactDetails:
    """Whom the service contacts about the organisation; every part optional."""

    contact_name: str | None = None
    email: str | None = None
    telephone: str | None = None
    postal_address: str | None = None

    @classmethod
    def checked(cls, *, contact_name: str | None, email: str | None, telephone: str | None, postal_address: str | None) -> ContactDetails:
        def text(field: str, value: str | None, limit: int) -> str | None:
            value = (value or "").strip() or None
            if value is not None and len(value) > limit:
                raise InvalidValue(field, f"must be at most {limit} characters")
            return value

        checked_email = text("email", email, 254)
        return cls(
            contact_name=text("contact_name", contact_name, 200),
            email=check_email("email", checked_email) if checked_email else None,
            telephone=text("telephone", telephone, 50),
            postal_address=text("postal_address", postal_address, 500),
        )


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
        self.contact = ContactDetails()

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
        name = check_display_name(name)
        if account_type not in AccountType.ALL:
            raise InvalidValue("account_type", f"must be one of {', '.join(AccountType.ALL)}")
        if account_type in AccountType.RELAYING and not domains:
            raise InvalidValue("domains", f"{'an' if account_type == AccountType.SMTP else 'a'} {account_type} organisation must list the mail domains it owns")
        if account_type == AccountType.MAILBOX and domains:
            raise InvalidValue("domains", "a mailbox organisation uses the service's domain and lists none")
        return cls._new(
            cls.Registered, id, by, at, name=name, code=code, account_type=account_type, domains=sorted(set(domains))
        )

    class AdministratorAppointed(SemaAggregate.Event):
        user_id: UUID
        apply = joins("administrators", "user_id")

    class AdministratorRevoked(SemaAggregate.Event):
        user_id: UUID
        apply = leaves("administrators", "user_id")

    class Suspended(SemaAggregate.Event):
        message: str | None
        apply = updates(suspended=True, suspension_message=From("message"))

    class Unsuspended(SemaAggregate.Event):
        apply = updates(suspended=False, suspension_message=None)

    class Renamed(SemaAggregate.Event):
        name: str
        apply = updates(name=From("name"))

    class MailDomainAdded(SemaAggregate.Event):
        domain: str

        def apply(self, organisation: Organisation) -> None:
            organisation.domains = sorted({*organisation.domains, self.domain})

    class MailDomainRemoved(SemaAggregate.Event):
        domain: str

        def apply(self, organisation: Organisation) -> None:
            organisation.domains.remove(self.domain)

    class ContactDetailsChanged(SemaAggregate.Event):
        contact_name: str | None
        email: str | None
        telephone: str | None
        postal_address: str | None

        def apply(self, organisation: Organisation) -> None:
            organisation.contact = ContactDetails(self.contact_name, self.email, self.telephone, self.postal_address)

    def rename(self, name: str, by: Actor, at: datetime) -> None:
        name = check_display_name(name)
        if name == self.name:
            raise AlreadySo("the organisation already has that name")
        self._record(self.Renamed, by, at, name=name)

    def add_mail_domain(self, domain: str, by: Actor, at: datetime) -> None:
        """smtp/gsc: another domain its users' original addresses may be in (``domain`` checked by the caller)."""
        if self.account_type not in AccountType.RELAYING:
            raise NoMailDomainsOfItsOwn(organisation_code=self.code)
        if domain in self.domains:
            raise AlreadySo(f"{domain} is already a mail domain of the organisation")
        self._record(self.MailDomainAdded, by, at, domain=domain)

    def remove_mail_domain(self, domain: str, by: Actor, at: datetime) -> None:
        """Users already relaying to the domain keep their addresses; no new one may be in it."""
        if domain not in self.domains:
            raise AlreadySo(f"{domain} is not a mail domain of the organisation")
        if len(self.domains) == 1:
            raise LastMailDomain(account_type=self.account_type, domain=domain)
        self._record(self.MailDomainRemoved, by, at, domain=domain)

    def change_contact_details(self, contact: ContactDetails, by: Actor, at: datetime) -> None:
        if contact == self.contact:
            raise AlreadySo("the organisation already has these contact details")
        self._record(self.ContactDetailsChanged, by, at, **asdict(contact))

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

    def revoke_administrator(self, user_id: UUID, by: Actor, at: datetime, able: Collection[UUID]) -> None:
        """An organisation administrator never leaves their organisation without one
        who can act: ``able`` are the administrators neither suspended, deleted nor
        purged (a deleted one still appointed does not count). A service administrator
        may (they administer every organisation)."""
        if not self.is_administrator(user_id):
            raise AlreadySo("the user is not an administrator of the organisation")
        others = {str(a) for a in able if self.is_administrator(a)} - {str(user_id)}
        if not others and not by.is_service_administrator:
            raise LastAdministrator(organisation_id=self.id, user_id=user_id)
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
            raise MailboxesNotHosted(organisation_code=self.code, account_type=self.account_type)

    def relay_address_for(self, original_address: str, service_domain: str) -> tuple[str, str]:
        """smtp/gsc: the normalised original address, which must be in one of the
        organisation's domains, and the secure address that relays to it."""
        original = check_email("original_address", original_address)
        if self.account_type not in AccountType.RELAYING:
            raise NotARelayingUser(organisation_code=self.code)
        if in_domains(original, [service_domain]):  # a domain listed before such domains were refused
            raise InvalidValue("original_address", f"must not be an address of the service's own mail domain {service_domain}")
        if not in_domains(original, self.domains):
            raise InvalidValue("original_address", f"must be in one of the organisation's domains: {', '.join(self.domains)}")
        return original, relay_address(original, service_domain)

