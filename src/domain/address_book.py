"""A user's personal address book: directory entries and lists they saved."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import AlreadySo, InvalidValue

ENTRY_KINDS = ("user", "distribution_list", "group_mailbox")


class AddressBookKeeping(SemaAggregate):
    """The address-book half of ``User`` (a mixin: ``User.__init__`` calls :meth:`_open_address_book`)."""

    def _open_address_book(self) -> None:
        self.address_book: dict[UUID, str] = {}  # entry id → entry kind

    class AddressBookEntrySaved(SemaAggregate.Event):
        entry_kind: str
        entry_id: UUID

        def apply(self, user: AddressBookKeeping) -> None:
            user.address_book[self.entry_id] = self.entry_kind

    class AddressBookEntryRemoved(SemaAggregate.Event):
        entry_id: UUID

        def apply(self, user: AddressBookKeeping) -> None:
            del user.address_book[self.entry_id]

    def save_address_book_entry(self, entry_kind: str, entry_id: UUID, by: Actor, at: datetime) -> None:
        if entry_kind not in ENTRY_KINDS:
            raise InvalidValue("entry_kind", "must be user, distribution_list or group_mailbox")
        if entry_id in self.address_book:
            raise AlreadySo("the entry is already in the address book")
        self._record(self.AddressBookEntrySaved, by, at, entry_kind=entry_kind, entry_id=entry_id)

    def remove_address_book_entry(self, entry_id: UUID, by: Actor, at: datetime) -> None:
        if entry_id not in self.address_book:
            raise AlreadySo("the entry is not in the address book")
        self._record(self.AddressBookEntryRemoved, by, at, entry_id=entry_id)
