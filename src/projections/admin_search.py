"""Administrator search: every user of an organisation with their status flags.

Ex-directory and deleted users included (deleted ones with the date they can
no longer be undeleted); purged users are gone. The status column is kept
from the flags by one SQL ``CASE``, in the same order as ``User.status``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, String, Text, and_, case, delete, select, update
from sqlalchemy.orm import Session

from domain.user import Status, User
from projections.directory import sort_key
from projections.framework import ReadModel, handles, utc
from projections.user_rows import apply_address_change, apply_details
from projections.search_text import search_text


class AdminSearch(ReadModel):
    name = "admin_search"

    def define_tables(self) -> None:
        self.users = self.table(
            "sema_admin_users",
            Column("id", String(36), primary_key=True),
            Column("seq", BigInteger, nullable=False),
            Column("organisation_id", String(36), nullable=False),
            Column("kind", String(30), nullable=False),
            Column("username", String(100), nullable=False),
            Column("first_name", Text, nullable=False),
            Column("last_name", Text, nullable=False),
            Column("sort_name", Text, nullable=False),
            Column("address", String(320), nullable=False),
            Column("aliases", JSON, nullable=False),
            Column("original_address", String(320)),
            Column("mailbox_id", String(36)),
            Column("details", JSON, nullable=False),
            Column("status", String(30), nullable=False),
            Column("has_own_password", Boolean, nullable=False),
            Column("has_security_information", Boolean, nullable=False),
            Column("locked", Boolean, nullable=False),
            Column("suspended", Boolean, nullable=False),
            Column("deleted", Boolean, nullable=False),
            Column("ex_directory", Boolean, nullable=False),
            Column("deleted_at", DateTime(timezone=True)),
            Column("undeletable_until", DateTime(timezone=True)),
            Column("search_text", Text, nullable=False),
            Index(self.index_name("ix_sema_admin_users_org_sort"), "organisation_id", "sort_name"),
            Index(self.index_name("ix_sema_admin_users_org_status"), "organisation_id", "status"),
        )

    @handles(User.Registered, appends_only=True)
    def _registered(self, session: Session, event: User.Registered, notification_id: int) -> None:
        aliases = [event.old_style_address] if event.old_style_address else []
        self.insert_later(
            session,
            self.users,
            {
                "id": str(event.originator_id),
                "seq": notification_id,
                "organisation_id": str(event.organisation_id),
                "kind": event.kind,
                "username": event.username,
                "first_name": event.first_name,
                "last_name": event.last_name,
                "sort_name": sort_key(event.last_name, event.first_name),
                "address": event.primary_address,
                "aliases": aliases,
                "original_address": event.original_address,
                "mailbox_id": str(event.mailbox_id) if event.mailbox_id else None,
                "details": dict(event.directory),
                "status": Status.PENDING_ACTIVATION,
                "has_own_password": False,
                "has_security_information": False,
                "locked": False,
                "suspended": False,
                "deleted": False,
                "ex_directory": event.ex_directory,
                "deleted_at": None,
                "undeletable_until": None,
                "search_text": admin_search_text(event.username, event.first_name, event.last_name, event.primary_address, aliases),
            },
        )

    def _set(self, session: Session, items: list[tuple[Any, int]], values: dict[str, Any] | None = None, per_event: Any = None) -> None:
        """Sets columns on the events' users (the same values, or ``per_event(event)``), then their status."""
        users = self.users.c
        ids = [str(event.originator_id) for event, _ in items]
        if per_event is None:
            session.execute(update(self.users).where(users.id.in_(ids)).values(**(values or {})))
        else:
            for event, _ in items:
                session.execute(update(self.users).where(users.id == str(event.originator_id)).values(**per_event(event)))
        session.execute(
            update(self.users)
            .where(users.id.in_(ids))
            .values(
                status=case(
                    (users.deleted, Status.DELETED),
                    (users.suspended, Status.SUSPENDED),
                    (users.locked, Status.LOCKED),
                    (and_(users.has_own_password, users.has_security_information), Status.ACTIVE),
                    else_=Status.PENDING_ACTIVATION,
                )
            )
        )

    @handles(User.Suspended, many=True)
    def _suspended(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"suspended": True})

    @handles(User.Unsuspended, many=True)
    def _unsuspended(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"suspended": False})

    @handles(User.Locked, many=True)
    def _locked(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"locked": True})

    @handles(User.Unlocked, many=True)
    def _unlocked(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"locked": False})

    @handles(User.Deleted, many=True)
    def _deleted(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, per_event=lambda e: {"deleted": True, "deleted_at": utc(e.timestamp), "undeletable_until": utc(e.undeletable_until)})

    @handles(User.Undeleted, many=True)
    def _undeleted(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"deleted": False, "deleted_at": None, "undeletable_until": None})

    @handles(User.Purged, many=True)
    def _purged(self, session: Session, items: list[tuple[Any, int]]) -> None:
        session.execute(delete(self.users).where(self.users.c.id.in_([str(e.originator_id) for e, _ in items])))

    @handles(User.MarkedExDirectory, many=True)
    def _marked_ex_directory(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"ex_directory": True})

    @handles(User.UnmarkedExDirectory, many=True)
    def _unmarked_ex_directory(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"ex_directory": False})

    @handles(User.OneTimePasswordIssued, appends_only=True)
    def _one_time_password_issued(self, session: Session, event: User.OneTimePasswordIssued, notification_id: int) -> None:
        """Registration issues the first one: the queued row says so already, no statement needed."""
        user_id = str(event.originator_id)
        for row in reversed(self.pending_rows(session, self.users)):
            if row["id"] == user_id:
                row["has_own_password"] = False
                return
        self._set(session, [(event, notification_id)], {"has_own_password": False})

    @handles(User.PasswordReset, many=True)
    def _password_reset(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"has_own_password": False})

    @handles(User.PasswordChanged, many=True)
    def _password_changed(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"has_own_password": True})

    @handles(User.SecurityInformationSet, many=True)
    def _security_information_set(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"has_security_information": True})

    @handles(User.Activated, many=True)
    def _activated(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"has_own_password": True, "has_security_information": True})

    @handles(User.UserReset, many=True)
    def _reset(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set(session, items, {"has_own_password": False, "has_security_information": False, "locked": False})

    def _rewrite(self, session: Session, user_id: str, change: Any) -> None:
        row = session.execute(select(self.users).where(self.users.c.id == user_id)).mappings().one()
        values = {k: row[k] for k in ("first_name", "last_name", "address", "aliases", "details", "original_address")}
        values["aliases"] = list(values["aliases"])
        values["details"] = dict(values["details"])
        change(values)
        values["sort_name"] = sort_key(values["last_name"], values["first_name"])
        values["search_text"] = admin_search_text(row["username"], values["first_name"], values["last_name"], values["address"], values["aliases"])
        session.execute(update(self.users).where(self.users.c.id == user_id).values(**values))

    @handles(User.DirectoryDetailsChanged)
    def _details_changed(self, session: Session, event: User.DirectoryDetailsChanged, notification_id: int) -> None:
        self._rewrite(session, str(event.originator_id), lambda values: apply_details(values, event))

    @handles(User.LastNameChanged)
    def _last_name_changed(self, session: Session, event: User.LastNameChanged, notification_id: int) -> None:
        self._rewrite(session, str(event.originator_id), lambda values: values.update(last_name=event.last_name))

    @handles(User.SecureAddressChanged)
    def _secure_address_changed(self, session: Session, event: User.SecureAddressChanged, notification_id: int) -> None:
        self._rewrite(session, str(event.originator_id), lambda values: apply_address_change(values, event))

    @handles(User.AliasRemoved)
    def _alias_removed(self, session: Session, event: User.AliasRemoved, notification_id: int) -> None:
        self._rewrite(session, str(event.originator_id), lambda values: values["aliases"].remove(event.address))


def admin_search_text(username: str, first_name: str, last_name: str, address: str, aliases: list[str]) -> str:
    return search_text(username, first_name, last_name, address, *aliases)
