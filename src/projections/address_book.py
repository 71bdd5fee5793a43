"""Personal address books: which directory entries each user has saved."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, delete
from sqlalchemy.orm import Session

from domain.user import User
from projections.framework import ReadModel, handles


class AddressBook(ReadModel):
    name = "address_book"

    def define_tables(self) -> None:
        self.entries = self.table(
            "sema_address_book",
            Column("user_id", String(36), primary_key=True),
            Column("entry_id", String(36), primary_key=True),
            Column("entry_kind", String(30), nullable=False),
            Column("saved_seq", BigInteger, nullable=False),
        )

    @handles(User.AddressBookEntrySaved, appends_only=True)
    def _saved(self, session: Session, event: User.AddressBookEntrySaved, notification_id: int) -> None:
        self.insert_later(
            session,
            self.entries,
            {"user_id": str(event.originator_id), "entry_id": str(event.entry_id), "entry_kind": event.entry_kind, "saved_seq": notification_id},
        )

    @handles(User.AddressBookEntryRemoved)
    def _removed(self, session: Session, event: User.AddressBookEntryRemoved, notification_id: int) -> None:
        session.execute(
            delete(self.entries).where(self.entries.c.user_id == str(event.originator_id), self.entries.c.entry_id == str(event.entry_id))
        )
