"""Group mailboxes and their permissions; mailbox use and the inactivity alert."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.claims import AddressClaim
from domain.errors import AddressTaken, MailboxNotFound, UserDeleted, UserNotFound
from domain.mailbox import Mailbox
from domain.naming import service_address
from domain.permissions import require_change, require_service_administrator
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command


class Mailboxes(Service):
    @command
    def create_group(self, uow: UnitOfWork, actor: Actor, at: datetime, organisation_id: UUID, name: str, local_part: str) -> tuple[UUID, str]:
        organisation = self.aggregates.administered_organisation(actor, organisation_id)
        organisation.require_mailboxes()
        address = service_address(local_part, organisation.code, self.settings.service_domain)
        mailbox = Mailbox.create_group(id=self.context.new_id(), organisation_id=organisation.id, name=name, address=address, by=actor, at=at)
        claim = self.claims.claim_one(AddressClaim, address, "group_mailbox", mailbox.id, actor, at, AddressTaken)
        uow.save(mailbox, claim)
        return mailbox.id, address

    def rename_group(self, actor: Actor, at: datetime, mailbox_id: UUID, name: str) -> None:
        self.change(self.aggregates.administered_group_mailbox, actor, mailbox_id, lambda mailbox: mailbox.rename_group(name, actor, at))

    @command
    def delete_group(self, uow: UnitOfWork, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        """The group mailbox goes at once, with its permissions; its address is released."""
        mailbox = self.aggregates.administered_group_mailbox(actor, mailbox_id)
        mailbox.delete_group(actor, at)
        uow.save(mailbox, self.claims.release(AddressClaim, mailbox.address or "", mailbox.id, actor, at))

    def grant_permission(self, actor: Actor, at: datetime, mailbox_id: UUID, user_id: UUID, permission: str) -> None:
        def grant(mailbox: Mailbox) -> None:
            user = self.aggregates.user(user_id)
            if user.organisation_id != mailbox.organisation_id or user.purged:
                raise UserNotFound(user_id)
            if user.deleted:
                raise UserDeleted(user_id=user_id)
            mailbox.grant_permission(user_id, permission, actor, at)

        self.change(self.aggregates.administered_mailbox, actor, mailbox_id, grant)

    def revoke_permission(self, actor: Actor, at: datetime, mailbox_id: UUID, user_id: UUID, permission: str) -> None:
        self.change(self.aggregates.administered_mailbox, actor, mailbox_id, lambda mailbox: mailbox.revoke_permission(user_id, permission, actor, at))

    @command
    def record_use(self, uow: UnitOfWork, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        """The webmail reports use; the owner, a permission holder or the service may record it."""
        require_change(actor)
        mailbox = self.aggregates.mailbox(mailbox_id)
        if not (actor.is_service_administrator or mailbox.may_be_used_by(actor.id)):
            raise MailboxNotFound(mailbox_id)
        mailbox.record_use(actor, at)
        uow.save(mailbox)

    @command
    def send_inactivity_alert(self, uow: UnitOfWork, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        require_service_administrator(actor)
        mailbox = self.aggregates.mailbox(mailbox_id)
        organisation = self.aggregates.organisation(mailbox.organisation_id)
        reachable = [a for a in organisation.administrators if self.aggregates.user(UUID(a)).receives_notices]
        mailbox.send_inactivity_alert(actor, at, reachable_administrators=len(reachable))
        uow.save(mailbox)
