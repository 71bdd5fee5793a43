"""Personal address books: which directory entries each user has saved."""

from __future__ import annotations

from sqlalchemy import BigInteger, String

from domain.user import User
from projections.batch import Batch
from projections.framework import ReadModel, handles
from projections.tables import key, required, table, text_id


class AddressBook(ReadModel):
    name = "address_book"
    rebuild_cost = 0.05

    entries = table("sema_address_book", key("user_id"), key("entry_id"), required("entry_kind", String(30)), required("saved_seq", BigInteger))

    @handles(User.AddressBookEntrySaved)
    def _saved(self, batch: Batch, event: User.AddressBookEntrySaved) -> None:
        batch.insert(
            self.entries,
            {"user_id": text_id(event.originator_id), "entry_id": text_id(event.entry_id), "entry_kind": event.entry_kind, "saved_seq": batch.position},
        )

    @handles(User.AddressBookEntryRemoved)
    def _removed(self, batch: Batch, event: User.AddressBookEntryRemoved) -> None:
        batch.delete(self.entries, user_id=event.originator_id, entry_id=event.entry_id)
