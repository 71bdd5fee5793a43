"""The directory: what every user may find, and the organisations, lists and
group mailboxes administrators manage.

One row per user, distribution list and group mailbox in
``sema_directory_entries``; ``listed`` says whether ordinary users find it
(people who are not ex-directory, deleted or purged; lists not deleted; group
mailboxes not purged). Text search goes through an index only listed entries
are in: an FTS5 table on SQLite, a trigram GIN index on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, String, Table, Text, and_, delete, not_, select, text, update
from sqlalchemy.orm import Session

from domain.distribution_list import DistributionList
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User, UserKind
from projections.framework import REBUILD_SUFFIX, ReadModel, handles
from projections.user_rows import apply_address_change, apply_details
from projections.search_text import search_text

KIND_USER = "user"
KIND_LIST = "distribution_list"
KIND_GROUP_MAILBOX = "group_mailbox"
DETAIL_FIELDS = ("office_address", "telephone", "mobile", "department", "job_title")


class Directory(ReadModel):
    name = "directory"

    def define_tables(self) -> None:
        self.organisations = self.table(
            "sema_directory_organisations",
            Column("id", String(36), primary_key=True),
            Column("name", Text, nullable=False),
            Column("code", String(100), nullable=False),
            Column("account_type", String(20), nullable=False),
            Column("domains", JSON, nullable=False),
            Column("suspended", Boolean, nullable=False),
            Column("suspension_message", Text),
        )
        self.administrators = self.table(
            "sema_directory_administrators",
            Column("organisation_id", String(36), primary_key=True),
            Column("user_id", String(36), primary_key=True),
        )
        self.entries = self.table(
            "sema_directory_entries",
            # The notification id of the entry's creation: a stable integer key for the FTS index.
            Column("seq", BigInteger, primary_key=True, autoincrement=False),
            Column("id", String(36), nullable=False, unique=True),
            Column("kind", String(20), nullable=False),
            Column("organisation_id", String(36), nullable=False),
            Column("organisation_name", Text, nullable=False),
            Column("name", Text, nullable=False),
            Column("sort_name", Text, nullable=False),
            Column("first_name", Text),
            Column("last_name", Text),
            Column("address", Text, nullable=False),
            Column("aliases", JSON, nullable=False),
            Column("details", JSON, nullable=False),
            Column("person", Boolean, nullable=False),
            Column("ex_directory", Boolean, nullable=False),
            Column("gone", Boolean, nullable=False),  # deleted or purged user, deleted list, purged group mailbox
            Column("listed", Boolean, nullable=False),
            Column("search_text", Text, nullable=False),
            Index(self.index_name("ix_sema_directory_entries_org"), "organisation_id", "kind"),
            Index(self.index_name("ix_sema_directory_entries_sort"), "listed", "sort_name"),
        )
        self.members = self.table(
            "sema_directory_list_members",
            Column("list_id", String(36), primary_key=True),
            Column("user_id", String(36), primary_key=True),
        )
        self.permissions = self.table(
            "sema_directory_permissions",
            Column("mailbox_id", String(36), primary_key=True),
            Column("user_id", String(36), primary_key=True),
            Column("permission", String(10), primary_key=True),
        )

    # ------------------------------------------------- the text index, per store

    @property
    def fts_name(self) -> str:
        return f"sema_directory_fts{self.suffix}"

    @property
    def trigram_index_name(self) -> str:
        return f"ix_sema_directory_trgm{self.suffix}"

    def create_extras(self, session: Session) -> None:
        if self.dialect == "sqlite":
            session.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts_name} USING fts5(search_text, tokenize='unicode61')"))
        elif self.dialect == "postgresql":
            session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            session.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {self.trigram_index_name} ON {self.entries.name} "
                    "USING gin (search_text gin_trgm_ops) WHERE listed"
                )
            )

    def extra_table_names(self) -> list[str]:
        return [self.fts_name] if self.dialect == "sqlite" else []

    def after_swap(self, session: Session) -> None:
        if self.dialect == "postgresql":
            session.execute(text(f"ALTER INDEX IF EXISTS {self.trigram_index_name}{REBUILD_SUFFIX} RENAME TO {self.trigram_index_name}"))

    def _reindex(self, session: Session, ids: list[str]) -> None:
        """SQLite: the FTS rows of these entries follow their ``listed`` and text."""
        if self.dialect != "sqlite" or not ids:
            return
        entries, params = self.entries.name, [{"id": i} for i in ids]
        session.execute(text(f"DELETE FROM {self.fts_name} WHERE rowid = (SELECT seq FROM {entries} WHERE id = :id)"), params)
        session.execute(
            text(f"INSERT INTO {self.fts_name} (rowid, search_text) SELECT seq, search_text FROM {entries} WHERE id = :id AND listed"),
            params,
        )

    def after_flush(self, session: Session, inserted: dict[Table, list[dict[str, Any]]]) -> None:
        rows = [r for r in inserted.get(self.entries, []) if r["listed"]]
        if self.dialect == "sqlite" and rows:
            session.execute(
                text(f"INSERT INTO {self.fts_name} (rowid, search_text) VALUES (:seq, :search_text)"),
                [{"seq": r["seq"], "search_text": r["search_text"]} for r in rows],
            )

    # ------------------------------------------------------------ organisations

    @handles(Organisation.Registered)
    def _organisation_registered(self, session: Session, event: Organisation.Registered, notification_id: int) -> None:
        session.execute(
            self.organisations.insert().values(
                id=str(event.originator_id),
                name=event.name,
                code=event.code,
                account_type=event.account_type,
                domains=list(event.domains),
                suspended=False,
                suspension_message=None,
            )
        )

    @handles(Organisation.Suspended)
    def _organisation_suspended(self, session: Session, event: Organisation.Suspended, notification_id: int) -> None:
        session.execute(
            update(self.organisations).where(self.organisations.c.id == str(event.originator_id)).values(suspended=True, suspension_message=event.message)
        )

    @handles(Organisation.Unsuspended)
    def _organisation_unsuspended(self, session: Session, event: Organisation.Unsuspended, notification_id: int) -> None:
        session.execute(
            update(self.organisations).where(self.organisations.c.id == str(event.originator_id)).values(suspended=False, suspension_message=None)
        )

    @handles(Organisation.AdministratorAppointed)
    def _administrator_appointed(self, session: Session, event: Organisation.AdministratorAppointed, notification_id: int) -> None:
        session.execute(self.administrators.insert().values(organisation_id=str(event.originator_id), user_id=str(event.user_id)))

    @handles(Organisation.AdministratorRevoked)
    def _administrator_revoked(self, session: Session, event: Organisation.AdministratorRevoked, notification_id: int) -> None:
        session.execute(
            delete(self.administrators).where(
                self.administrators.c.organisation_id == str(event.originator_id), self.administrators.c.user_id == str(event.user_id)
            )
        )

    def _organisation_name(self, session: Session, organisation_id: Any) -> str:
        cache: dict[str, str] = session.info.setdefault(("sema_directory_org_names", id(self)), {})
        key = str(organisation_id)
        if key not in cache:
            cache[key] = session.execute(select(self.organisations.c.name).where(self.organisations.c.id == key)).scalar_one_or_none() or ""
        return cache[key]

    # -------------------------------------------------------------------- users

    # Appends only: the organisation rows it reads are written directly, never queued.
    @handles(User.Registered, appends_only=True)
    def _user_registered(self, session: Session, event: User.Registered, notification_id: int) -> None:
        organisation_name = self._organisation_name(session, event.organisation_id)
        person = event.kind == UserKind.PERSON
        aliases = [event.old_style_address] if event.old_style_address else []
        details = dict(event.directory)
        self.insert_later(
            session,
            self.entries,
            {
                "seq": notification_id,
                "id": str(event.originator_id),
                "kind": KIND_USER,
                "organisation_id": str(event.organisation_id),
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

    def _set_flags(self, session: Session, items: list[tuple[Any, int]], **values: Any) -> None:
        ids = [str(event.originator_id) for event, _ in items]
        entries = self.entries.c
        session.execute(update(self.entries).where(entries.id.in_(ids)).values(**values))
        session.execute(
            update(self.entries)
            .where(entries.id.in_(ids))
            .values(listed=and_(entries.person, not_(entries.ex_directory), not_(entries.gone)))
        )
        self._reindex(session, ids)

    @handles(User.Deleted, User.Purged, many=True)
    def _users_gone(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_flags(session, items, gone=True)
        purged = [str(e.originator_id) for e, _ in items if isinstance(e, User.Purged)]
        if purged:
            session.execute(update(self.entries).where(self.entries.c.id.in_(purged)).values(aliases=[]))

    @handles(User.Undeleted, many=True)
    def _users_undeleted(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_flags(session, items, gone=False)

    @handles(User.MarkedExDirectory, many=True)
    def _users_marked_ex_directory(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_flags(session, items, ex_directory=True)

    @handles(User.UnmarkedExDirectory, many=True)
    def _users_unmarked_ex_directory(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_flags(session, items, ex_directory=False)

    def _rewrite_user(self, session: Session, user_id: str, change: Any) -> None:
        """Reads the row, lets ``change`` edit it, writes it back with fresh search text."""
        row = session.execute(select(self.entries).where(self.entries.c.id == user_id)).mappings().one()
        values = {k: row[k] for k in ("first_name", "last_name", "address", "aliases", "details")}
        values["aliases"] = list(values["aliases"])
        values["details"] = dict(values["details"])
        change(values)
        values["name"] = f"{values['first_name']} {values['last_name']}"
        values["sort_name"] = sort_key(values["last_name"], values["first_name"])
        values["search_text"] = user_search_text(
            values["first_name"], values["last_name"], row["organisation_name"], values["address"], values["aliases"], values["details"]
        )
        session.execute(update(self.entries).where(self.entries.c.id == user_id).values(**values))
        self._reindex(session, [user_id])

    @handles(User.DirectoryDetailsChanged)
    def _details_changed(self, session: Session, event: User.DirectoryDetailsChanged, notification_id: int) -> None:
        self._rewrite_user(session, str(event.originator_id), lambda values: apply_details(values, event))

    @handles(User.LastNameChanged)
    def _last_name_changed(self, session: Session, event: User.LastNameChanged, notification_id: int) -> None:
        self._rewrite_user(session, str(event.originator_id), lambda values: values.update(last_name=event.last_name))

    @handles(User.SecureAddressChanged)
    def _secure_address_changed(self, session: Session, event: User.SecureAddressChanged, notification_id: int) -> None:
        self._rewrite_user(session, str(event.originator_id), lambda values: apply_address_change(values, event))

    @handles(User.AliasRemoved)
    def _alias_removed(self, session: Session, event: User.AliasRemoved, notification_id: int) -> None:
        self._rewrite_user(session, str(event.originator_id), lambda values: values["aliases"].remove(event.address))

    # ----------------------------------------------------- lists and group mailboxes

    def _add_addressable(self, session: Session, kind: str, event: Any, notification_id: int) -> None:
        organisation_name = self._organisation_name(session, event.organisation_id)
        self.insert_later(
            session,
            self.entries,
            {
                "seq": notification_id,
                "id": str(event.originator_id),
                "kind": kind,
                "organisation_id": str(event.organisation_id),
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

    @handles(DistributionList.Created, appends_only=True)
    def _list_created(self, session: Session, event: DistributionList.Created, notification_id: int) -> None:
        self._add_addressable(session, KIND_LIST, event, notification_id)

    @handles(Mailbox.GroupMailboxCreated, appends_only=True)
    def _group_mailbox_created(self, session: Session, event: Mailbox.GroupMailboxCreated, notification_id: int) -> None:
        self._add_addressable(session, KIND_GROUP_MAILBOX, event, notification_id)

    @handles(DistributionList.Renamed)
    def _list_renamed(self, session: Session, event: DistributionList.Renamed, notification_id: int) -> None:
        list_id = str(event.originator_id)
        row = session.execute(select(self.entries.c.organisation_name, self.entries.c.address).where(self.entries.c.id == list_id)).one()
        session.execute(
            update(self.entries)
            .where(self.entries.c.id == list_id)
            .values(name=event.name, sort_name=sort_key(event.name), search_text=search_text(event.name, row.organisation_name, row.address))
        )
        self._reindex(session, [list_id])

    @handles(DistributionList.Deleted)
    def _list_deleted(self, session: Session, event: DistributionList.Deleted, notification_id: int) -> None:
        list_id = str(event.originator_id)
        session.execute(update(self.entries).where(self.entries.c.id == list_id).values(gone=True, listed=False))
        session.execute(delete(self.members).where(self.members.c.list_id == list_id))
        self._reindex(session, [list_id])

    @handles(DistributionList.MemberAdded, appends_only=True)
    def _member_added(self, session: Session, event: DistributionList.MemberAdded, notification_id: int) -> None:
        self.insert_later(session, self.members, {"list_id": str(event.originator_id), "user_id": str(event.user_id)})

    @handles(DistributionList.MemberRemoved)
    def _member_removed(self, session: Session, event: DistributionList.MemberRemoved, notification_id: int) -> None:
        session.execute(
            delete(self.members).where(self.members.c.list_id == str(event.originator_id), self.members.c.user_id == str(event.user_id))
        )

    @handles(Mailbox.PermissionGranted)
    def _permission_granted(self, session: Session, event: Mailbox.PermissionGranted, notification_id: int) -> None:
        session.execute(self.permissions.insert().values(mailbox_id=str(event.originator_id), user_id=str(event.user_id), permission=event.permission))

    @handles(Mailbox.PermissionRevoked)
    def _permission_revoked(self, session: Session, event: Mailbox.PermissionRevoked, notification_id: int) -> None:
        session.execute(
            delete(self.permissions).where(
                self.permissions.c.mailbox_id == str(event.originator_id),
                self.permissions.c.user_id == str(event.user_id),
                self.permissions.c.permission == event.permission,
            )
        )

    @handles(Mailbox.Purged)
    def _mailbox_purged(self, session: Session, event: Mailbox.Purged, notification_id: int) -> None:
        mailbox_id = str(event.originator_id)
        session.execute(delete(self.permissions).where(self.permissions.c.mailbox_id == mailbox_id))
        changed = session.execute(
            update(self.entries).where(self.entries.c.id == mailbox_id, self.entries.c.kind == KIND_GROUP_MAILBOX).values(gone=True, listed=False)
        )
        if changed.rowcount:
            self._reindex(session, [mailbox_id])


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
