"""A user's personal address book, with what of it is still in the directory."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, select

from projections.queries.common import Reader, View, address_books, directory
from projections.queries.directory import DirectoryEntry, directory_entry


class AddressBookEntry(View):
    entry_kind: str  # user | distribution_list | group_mailbox
    entry_id: UUID
    available: bool  # False once the entry left the directory (ex-directory, deleted, purged)
    entry: DirectoryEntry | None  # its directory details while available


def address_book(session: Reader, user_id: UUID) -> list[AddressBookEntry]:
    """A user's saved entries, in the order saved."""
    b, e = address_books.entries.c, directory.entries.c
    rows = session.execute(
        select(b.entry_kind, b.entry_id, directory.entries)
        .select_from(address_books.entries.outerjoin(directory.entries, and_(e.id == b.entry_id, e.listed)))
        .where(b.user_id == str(user_id))
        .order_by(b.saved_seq)
    ).mappings()
    return [
        AddressBookEntry(
            entry_kind=r["entry_kind"],
            entry_id=UUID(r["entry_id"]),
            available=r["id"] is not None,
            entry=directory_entry(r) if r["id"] is not None else None,
        )
        for r in rows
    ]
