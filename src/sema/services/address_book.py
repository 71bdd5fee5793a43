"""Personal address books: directory entries and lists a user saves."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.address_book import ENTRY_KINDS
from domain.base import SemaAggregate
from domain.errors import InvalidValue, MailboxNotFound, UserNotFound
from domain.mailbox import MailboxKind
from domain.user import UserKind
from domain.permissions import require_change
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command


class AddressBook(Service):
    def _entry(self, entry_kind: str, entry_id: UUID) -> SemaAggregate:
        """What may be saved: a present user, a list, a group mailbox."""
        if entry_kind == "user":
            user = self.aggregates.user(entry_id)
            if user.purged or user.deleted or user.ex_directory or user.kind != UserKind.PERSON:
                raise UserNotFound(entry_id)  # whom the directory does not list is not found (ex-directory: not even that they exist)
            return user
        if entry_kind == "distribution_list":
            return self.aggregates.distribution_list(entry_id)
        if entry_kind == "group_mailbox":
            mailbox = self.aggregates.mailbox(entry_id)
            if mailbox.kind != MailboxKind.GROUP:
                raise MailboxNotFound(entry_id)
            return mailbox
        raise InvalidValue("entry_kind", f"must be {', '.join(ENTRY_KINDS[:-1])} or {ENTRY_KINDS[-1]}")

    @command
    def save_entry(self, uow: UnitOfWork, actor: Actor, at: datetime, entry_kind: str, entry_id: UUID) -> None:
        require_change(actor)
        user = self.aggregates.own_user(actor)
        entry = self._entry(entry_kind, entry_id)
        user.save_address_book_entry(entry_kind, entry.id, actor, at)
        uow.save(user)

    @command
    def remove_entry(self, uow: UnitOfWork, actor: Actor, at: datetime, entry_id: UUID) -> None:
        require_change(actor)
        user = self.aggregates.own_user(actor)
        user.remove_address_book_entry(entry_id, actor, at)
        uow.save(user)
