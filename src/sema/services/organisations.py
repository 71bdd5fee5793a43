"""Organisations: the service's own, registration, upkeep (name, mail domains, contact details), administrators, suspension."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.actors import Actor, system_actor
from domain.claims import OrganisationCodeClaim
from domain.errors import OrganisationCodeTaken, UserNotFound
from domain.naming import check_organisation_code, check_organisation_domain
from domain.mail_domains import MailDomains
from domain.organisation import AccountType, ContactDetails, Organisation
from domain.permissions import require_service_administrator
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command

SERVICE_ORGANISATION_CODE = "service"


class Organisations(Service):
    def service_organisation_id(self) -> UUID | None:
        return self.claims.owner(OrganisationCodeClaim, SERVICE_ORGANISATION_CODE)

    def register_service_organisation(self, at: datetime) -> UUID | None:
        """On an empty store: the service's own organisation; ``None`` if it exists,
        or if another process starting at the same moment registered it first (that
        process creates the service administrator and shows its credentials)."""
        if self.service_organisation_id() is not None:
            return None
        try:
            return self.register(system_actor("bootstrap"), at, name="Secure eMail service", code=SERVICE_ORGANISATION_CODE, account_type=AccountType.MAILBOX)
        except OrganisationCodeTaken:
            return None

    @command
    def register(self, uow: UnitOfWork, actor: Actor, at: datetime, *, name: str, code: str, account_type: str, domains: Sequence[str] = ()) -> UUID:
        require_service_administrator(actor)
        code = check_organisation_code(code)
        checked = [check_organisation_domain(f"domains[{i}]", d, self.settings.service_domain) for i, d in enumerate(domains)]
        organisation = Organisation.register(id=self.context.new_id(), name=name, code=code, account_type=account_type, domains=checked, by=actor, at=at)
        claim = self.claims.claim_one(OrganisationCodeClaim, code, "organisation", organisation.id, actor, at, OrganisationCodeTaken)
        registry = None
        if organisation.domains:
            registry = self._mail_domains(at)
            for domain in organisation.domains:
                registry.take(domain, organisation.id, actor, at)
        uow.save(organisation, claim, registry)
        return organisation.id

    def _mail_domains(self, at: datetime) -> MailDomains:
        """The registry of the organisations' mail domains; in a store made before it,
        begun (saved with the command) with the domains organisations list now."""
        registry = self.aggregates.mail_domains()
        if registry is None:
            listed = {}
            for organisation_id in self.aggregates.organisation_ids():
                organisation = self.aggregates.organisation(organisation_id)
                listed.update(dict.fromkeys(organisation.domains, organisation.id))
            registry = MailDomains.open(listed, system_actor("mail-domains"), at)
        return registry

    def appoint_administrator(self, actor: Actor, at: datetime, organisation_id: UUID, user_id: UUID) -> None:
        """A service administrator, or an administrator of the organisation, appoints one of its users.
        To an organisation administrator another organisation's user is unknown, as
        anywhere else they name a user by id: the refusal says nothing of them (ADR 64)."""

        def appoint(organisation: Organisation) -> None:
            user = self.aggregates.user(user_id)
            if user.organisation_id != organisation.id and not actor.is_service_administrator:
                raise UserNotFound(user_id)
            organisation.appoint_administrator(user, actor, at)

        self.change(self.aggregates.administered_organisation, actor, organisation_id, appoint)

    def revoke_administrator(self, actor: Actor, at: datetime, organisation_id: UUID, user_id: UUID) -> None:
        def revoke(organisation: Organisation) -> None:
            able = [UUID(a) for a in organisation.administrators if self.aggregates.user(UUID(a)).can_administer]
            organisation.revoke_administrator(user_id, actor, at, able)

        self.change(self.aggregates.administered_organisation, actor, organisation_id, revoke)

    def rename(self, actor: Actor, at: datetime, organisation_id: UUID, name: str) -> None:
        self.change(self.aggregates.organisation_for_service_administrator, actor, organisation_id, lambda o: o.rename(name, actor, at))

    @command
    def add_mail_domain(self, uow: UnitOfWork, actor: Actor, at: datetime, organisation_id: UUID, domain: str) -> None:
        organisation = self.aggregates.organisation_for_service_administrator(actor, organisation_id)
        domain = check_organisation_domain("domain", domain, self.settings.service_domain)
        organisation.add_mail_domain(domain, actor, at)
        registry = self._mail_domains(at)
        registry.take(domain, organisation.id, actor, at)
        uow.save(organisation, registry)

    @command
    def remove_mail_domain(self, uow: UnitOfWork, actor: Actor, at: datetime, organisation_id: UUID, domain: str) -> None:
        """Another organisation may list the domain from then on."""
        organisation = self.aggregates.organisation_for_service_administrator(actor, organisation_id)
        domain = domain.strip().lower()
        organisation.remove_mail_domain(domain, actor, at)
        registry = self._mail_domains(at)
        registry.give_up(domain, organisation.id, actor, at)
        uow.save(organisation, registry)

    def change_contact_details(self, actor: Actor, at: datetime, organisation_id: UUID, contact: ContactDetails) -> None:
        """The organisation's own administrators keep their contact details up to date, as the service's do."""
        self.change(self.aggregates.administered_organisation, actor, organisation_id, lambda o: o.change_contact_details(contact, actor, at))

    def suspend(self, actor: Actor, at: datetime, organisation_id: UUID, message: str | None = None) -> None:
        self.change(self.aggregates.administered_organisation, actor, organisation_id, lambda o: o.suspend(message, actor, at))

    def unsuspend(self, actor: Actor, at: datetime, organisation_id: UUID) -> None:
        self.change(self.aggregates.administered_organisation, actor, organisation_id, lambda o: o.unsuspend(actor, at))
