"""The directory: what every user may find, and the organisations, lists and
group mailboxes administrators manage.

One row per user, distribution list and group mailbox in
``sema_directory_entries``; ``listed`` says whether ordinary users find it
(people who are not ex-directory, deleted or purged; lists not deleted; group
mailboxes not purged). Text search goes through an index only listed entries
are in: an FTS5 table on SQLite, a trigram GIN index on PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, Engine, Index, String, Text, and_, not_, text
from sqlalchemy.orm import Session

from domain.distribution_list import DistributionList
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User, UserKind
from projections.batch import Batch
from projections.common_tables import Administrators, GroupPermissions, ListMembers, OrganisationSuspensions
from projections.directory_fts import DirectoryFts
from projections.directory_trigrams import DirectoryTrigrams
from projections.framework import REBUILD_SUFFIX, handles
from projections.source import Position
from projections.search_text import search_text
from projections.tables import ID, ROW_KEY, key, optional, required, table, text_id
from projections.user_rows import EX_DIRECTORY, ROW_EDITS, changes, edited, set_flags

KIND_USER = "user"
KIND_LIST = "distribution_list"
KIND_GROUP_MAILBOX = "group_mailbox"
DETAIL_FIELDS = ("office_address", "telephone", "mobile", "department", "job_title")

# What each status event sets on a user's entry (``listed`` follows from them).
FLAGS: dict[type, dict[str, Any]] = {
    User.Deleted: {"gone": True},
    User.Purged: {"gone": True, "aliases": []},
    User.Undeleted: {"gone": False},
    **EX_DIRECTORY,
}


class Directory(OrganisationSuspensions, Administrators, ListMembers, GroupPermissions):
    name = "directory"
    rebuild_cost = 6.0
    deferred_indexes = ("ix_sema_directory_entries_walk",)

    organisations = table(
        "sema_directory_organisations",
        key("id"),
        required("name", Text),
        required("code", String(100)),
        required("account_type", String(20)),
        required("domains", JSON),
        required("suspended", Boolean),
        optional("suspension_message", Text),
    )
    administrators = table("sema_directory_administrators", key("organisation_id"), key("user_id"))
    contacts = table(
        "sema_directory_organisation_contacts",
        key("organisation_id"),
        optional("contact_name", Text),
        optional("email", Text),
        optional("telephone", Text),
        optional("postal_address", Text),
    )
    entries = table(
        "sema_directory_entries",
        # The notification id of the entry's creation: a stable integer key for the FTS index.
        key("seq", ROW_KEY),
        required("id", ID, unique=True),
        required("kind", String(20)),
        required("organisation_id"),
        required("organisation_name", Text),
        required("name", Text),
        required("sort_name", Text),
        optional("first_name", Text),
        optional("last_name", Text),
        required("address", Text),
        required("aliases", JSON),
        required("details", JSON),
        required("person", Boolean),
        required("ex_directory", Boolean),
        required("gone", Boolean),  # deleted or purged user, deleted list, purged group mailbox
        required("listed", Boolean),
        required("search_text", Text),
        Index("ix_sema_directory_entries_org", "organisation_id", "kind"),
        # Covers a page's walk in name order (filters on kind and text read from the index, not the rows).
        Index("ix_sema_directory_entries_walk", "listed", "sort_name", "id", "kind", "search_text"),
    )
    members = table("sema_directory_list_members", key("list_id"), key("user_id"))
    permissions = table("sema_directory_permissions", key("mailbox_id"), key("user_id"), key("permission", String(10)))

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        e = self.entries.c
        # Who ordinary users find, from the row's own flags (one expression, so updates group together).
        self.listed_rule = and_(e.person, not_(e.ex_directory), not_(e.gone))

    # ------------------------------------------------- the text index, per store

    @property
    def trigram_index_name(self) -> str:
        return f"ix_sema_directory_trgm{self.suffix}"

    def create_extras(self, session: Session) -> None:
        # A store made before the walk's covering index: it replaces the name index, when opened.
        session.execute(text(f"DROP INDEX IF EXISTS ix_sema_directory_entries_sort{self.suffix}"))
        for index in self.entries.indexes:
            index.create(session.connection(), checkfirst=True)
        if self.dialect == "sqlite":
            self.fts.create(session)
        elif self.dialect == "postgresql":
            session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            session.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {self.trigram_index_name} ON {self.entries.name} "
                    "USING gin (search_text gin_trgm_ops) WHERE listed"
                )
            )
            self.trigrams.create(session)

    @functools.cached_property
    def fts(self) -> DirectoryFts:
        return DirectoryFts(self.entries, self.suffix)

    @functools.cached_property
    def trigrams(self) -> DirectoryTrigrams:
        return DirectoryTrigrams(self.entries, self.suffix)

    def extra_table_names(self) -> list[str]:
        return self.fts.table_names() if self.dialect == "sqlite" else [self.trigrams.name]

    def defer_indexes(self, engine: Engine) -> None:
        super().defer_indexes(engine)
        if engine.dialect.name == "postgresql":
            # A rebuild's shadow fills its trigrams once, from the full entries (not row by row).
            with Session(engine) as session, session.begin():
                self.trigrams.drop_triggers(session)

    def build_deferred_indexes(self, engine: Engine) -> None:
        super().build_deferred_indexes(engine)
        if engine.dialect.name == "postgresql":
            with Session(engine) as session, session.begin():
                self.trigrams.fill(session)
                self.trigrams.keep(session)

    def after_fill(self, engine: Engine) -> None:
        if engine.dialect.name == "sqlite":
            with Session(engine) as session, session.begin():
                self.fts.optimize(session)  # one segment for the swapped index, not one per batch of the fill

    def after_swap(self, session: Session) -> None:
        if self.dialect == "postgresql":
            session.execute(text(f"ALTER INDEX IF EXISTS {self.trigram_index_name}{REBUILD_SUFFIX} RENAME TO {self.trigram_index_name}"))
            self.trigrams.after_swap(session, DirectoryTrigrams(self.entries, REBUILD_SUFFIX))

    def apply(self, batch: Batch, positions: Sequence[Position]) -> None:
        super().apply(batch, positions)
        if self.dialect == "sqlite":
            self.fts.reindex(batch)

    def _organisation_name(self, batch: Batch, organisation_id: Any) -> str:
        row = batch.get(self.organisations, id=organisation_id)
        return row["name"] if row is not None else ""

    # ------------------------------------------------------------ organisations

    @handles(Organisation.Renamed)
    def _entries_organisation_renamed(self, batch: Batch, event: Organisation.Renamed) -> None:
        """Every entry of the organisation shows, and is found by, its new name."""
        for row in batch.rows(self.entries, organisation_id=event.originator_id):
            if row["kind"] == KIND_USER:
                text_ = user_search_text(row["first_name"], row["last_name"], event.name, row["address"], row["aliases"], row["details"])
            else:
                text_ = search_text(row["name"], event.name, row["address"])
            batch.update(self.entries, {"id": row["id"]}, organisation_name=event.name, search_text=text_)

    @handles(Organisation.ContactDetailsChanged)
    def _contact_details_changed(self, batch: Batch, event: Organisation.ContactDetailsChanged) -> None:
        batch.delete(self.contacts, organisation_id=event.originator_id)
        batch.insert(
            self.contacts,
            {
                "organisation_id": text_id(event.originator_id),
                "contact_name": event.contact_name,
                "email": event.email,
                "telephone": event.telephone,
                "postal_address": event.postal_address,
            },
        )

    # -------------------------------------------------------------------- users

    @handles(User.Registered)
    def _user_registered(self, batch: Batch, event: User.Registered) -> None:
        organisation_name = self._organisation_name(batch, event.organisation_id)
        person = event.kind == UserKind.PERSON
        aliases = [event.old_style_address] if event.old_style_address else []
        details = dict(event.directory)
        batch.insert(
            self.entries,
            {
                "seq": batch.position,
                "id": text_id(event.originator_id),
                "kind": KIND_USER,
                "organisation_id": text_id(event.organisation_id),
                "organisation_name": organisation_name,
                "name": f"{event.first_name} {event.last_name}",
                "sort_name": sort_key(event.last_name, event.first_name),
                "first_name": event.first_name,
                "last_name": event.last_name,
                "address": event.primary_address,
                "aliases": aliases,
                "details": details,
                "person": person,
                "ex_directory": event.ex_directory,
                "gone": False,
                "listed": person and not event.ex_directory,
                "search_text": user_search_text(event.first_name, event.last_name, organisation_name, event.primary_address, aliases, details),
            },
        )

    @handles(*FLAGS)
    def _user_flags_changed(self, batch: Batch, event: Any) -> None:
        set_flags(batch, self.entries, event, FLAGS[type(event)], listed=self.listed_rule)

    @handles(*ROW_EDITS)
    def _user_row_edited(self, batch: Batch, event: Any) -> None:
        """Rewrites the row with the edit, and a fresh name, sort key and search text."""
        row = batch.one(self.entries, id=event.originator_id)
        values = edited(row, event, ("first_name", "last_name", "address"))
        values["name"] = f"{values['first_name']} {values['last_name']}"
        values["sort_name"] = sort_key(values["last_name"], values["first_name"])
        values["search_text"] = user_search_text(
            values["first_name"], values["last_name"], row["organisation_name"], values["address"], values["aliases"], values["details"]
        )
        changed = changes(row, values)
        if changed:
            batch.update(self.entries, {"id": event.originator_id}, **changed)

    # ----------------------------------------------------- lists and group mailboxes

    @handles(DistributionList.Created, Mailbox.GroupMailboxCreated)
    def _addressable_created(self, batch: Batch, event: DistributionList.Created | Mailbox.GroupMailboxCreated) -> None:
        organisation_name = self._organisation_name(batch, event.organisation_id)
        batch.insert(
            self.entries,
            {
                "seq": batch.position,
                "id": text_id(event.originator_id),
                "kind": KIND_LIST if isinstance(event, DistributionList.Created) else KIND_GROUP_MAILBOX,
                "organisation_id": text_id(event.organisation_id),
                "organisation_name": organisation_name,
                "name": event.name,
                "sort_name": sort_key(event.name),
                "first_name": None,
                "last_name": None,
                "address": event.address,
                "aliases": [],
                "details": {},
                "person": False,
                "ex_directory": False,
                "gone": False,
                "listed": True,
                "search_text": search_text(event.name, organisation_name, event.address),
            },
        )

    @handles(DistributionList.Renamed, Mailbox.GroupMailboxRenamed)
    def _addressable_renamed(self, batch: Batch, event: DistributionList.Renamed | Mailbox.GroupMailboxRenamed) -> None:
        row = batch.one(self.entries, id=event.originator_id)
        batch.update(
            self.entries,
            {"id": event.originator_id},
            name=event.name,
            sort_name=sort_key(event.name),
            search_text=search_text(event.name, row["organisation_name"], row["address"]),
        )

    @handles(DistributionList.Deleted, DistributionList.Removed)
    def _list_deleted(self, batch: Batch, event: DistributionList.Deleted | DistributionList.Removed) -> None:
        batch.update(self.entries, {"id": event.originator_id}, gone=True, listed=False)

    @handles(DistributionList.Restored)
    def _list_restored(self, batch: Batch, event: DistributionList.Restored) -> None:
        batch.update(self.entries, {"id": event.originator_id}, gone=False, listed=True)

    @handles(DistributionList.AddressChanged)
    def _list_address_changed(self, batch: Batch, event: DistributionList.AddressChanged) -> None:
        row = batch.one(self.entries, id=event.originator_id)
        batch.update(self.entries, {"id": event.originator_id}, address=event.new_address, search_text=search_text(row["name"], row["organisation_name"], event.new_address))

    @handles(Mailbox.Purged, Mailbox.GroupMailboxDeleted)
    def _mailbox_purged(self, batch: Batch, event: Mailbox.Purged | Mailbox.GroupMailboxDeleted) -> None:
        batch.update(self.entries, {"id": event.originator_id, "kind": KIND_GROUP_MAILBOX}, gone=True, listed=False)


def sort_key(*parts: str) -> str:
    return " ".join(p.casefold() for p in parts if p)


def user_search_text(first_name: str, last_name: str, organisation_name: str, address: str, aliases: list[str], details: dict[str, str]) -> str:
    return search_text(
        first_name,
        last_name,
        organisation_name,
        address,
        *aliases,
        details.get("job_title"),
        details.get("telephone"),
        details.get("mobile"),
        details.get("department"),
    )
