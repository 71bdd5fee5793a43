"""Administrator search: every user of an organisation with their status flags.

Ex-directory and deleted users included (deleted ones with the date they can
no longer be undeleted); purged users are gone. The status column is kept
from the flags by one SQL ``CASE``, in the same order as ``User.status``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, String, Text, and_, case

from domain.mailbox import Mailbox
from domain.user import Status, User
from projections.batch import Batch
from projections.directory import sort_key
from projections.framework import ReadModel, handles, utc
from projections.search_text import search_text
from projections.tables import ADDRESS, key, optional, required, table, text_id
from projections.user_rows import EX_DIRECTORY, LOCKING, ROW_EDITS, SUSPENSION, changes, edited, set_flags

# What each status event sets on a user's row (``status`` follows from them).
FLAGS: dict[type, dict[str, bool]] = {
    **SUSPENSION,
    **LOCKING,
    **EX_DIRECTORY,
    User.OneTimePasswordIssued: {"has_own_password": False},
    User.PasswordReset: {"has_own_password": False},
    User.PasswordChanged: {"has_own_password": True},
    User.SecurityInformationSet: {"has_security_information": True},
    User.Activated: {"has_own_password": True, "has_security_information": True},
    User.UserReset: {"has_own_password": False, "has_security_information": False, "locked": False},
    User.Undeleted: {"deleted": False, "deleted_at": None, "undeletable_until": None},
}


class AdminSearch(ReadModel):
    name = "admin_search"
    rebuild_cost = 5.3
    deferred_indexes = ("ix_sema_admin_users_org_sort", "ix_sema_admin_users_org_status")

    users = table(
        "sema_admin_users",
        key("id"),
        required("seq", BigInteger),
        required("organisation_id"),
        required("kind", String(30)),
        required("username", String(100)),
        required("first_name", Text),
        required("last_name", Text),
        required("sort_name", Text),
        required("address", ADDRESS),
        required("aliases", JSON),
        optional("original_address", ADDRESS),
        optional("mailbox_id"),
        required("details", JSON),
        required("status", String(30)),
        required("has_own_password", Boolean),
        required("has_security_information", Boolean),
        required("locked", Boolean),
        required("suspended", Boolean),
        required("deleted", Boolean),
        required("ex_directory", Boolean),
        optional("deleted_at", DateTime(timezone=True)),
        optional("undeletable_until", DateTime(timezone=True)),
        required("search_text", Text),
        Index("ix_sema_admin_users_org_sort", "organisation_id", "sort_name"),
        Index("ix_sema_admin_users_org_status", "organisation_id", "status"),
    )

    # What administrators report on: when each user last logged in and used their
    # mailbox, when their one-time password expires, and whether they ever activated.
    activity = table(
        "sema_admin_user_activity",
        key("user_id"),
        optional("mailbox_id"),
        optional("activated_at", DateTime(timezone=True)),
        optional("last_log_in_at", DateTime(timezone=True)),
        optional("last_mailbox_use_at", DateTime(timezone=True)),
        optional("one_time_password_expires_at", DateTime(timezone=True)),
        Index("ix_sema_admin_user_activity_mailbox", "mailbox_id"),
    )

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        users = self.users.c
        # In the same order as ``User.status``.
        self.status_rule = case(
            (users.deleted, Status.DELETED),
            (users.suspended, Status.SUSPENDED),
            (users.locked, Status.LOCKED),
            (and_(users.has_own_password, users.has_security_information), Status.ACTIVE),
            else_=Status.PENDING_ACTIVATION,
        )

    @handles(User.Registered)
    def _registered(self, batch: Batch, event: User.Registered) -> None:
        aliases = [event.old_style_address] if event.old_style_address else []
        batch.insert(
            self.users,
            {
                "id": text_id(event.originator_id),
                "seq": batch.position,
                "organisation_id": text_id(event.organisation_id),
                "kind": event.kind,
                "username": event.username,
                "first_name": event.first_name,
                "last_name": event.last_name,
                "sort_name": sort_key(event.last_name, event.first_name),
                "address": event.primary_address,
                "aliases": aliases,
                "original_address": event.original_address,
                "mailbox_id": text_id(event.mailbox_id) if event.mailbox_id else None,
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

    @handles(User.Registered)
    def _activity_opened(self, batch: Batch, event: User.Registered) -> None:
        batch.insert(self.activity, {"user_id": text_id(event.originator_id), "mailbox_id": text_id(event.mailbox_id) if event.mailbox_id else None})

    @handles(User.OneTimePasswordIssued, User.PasswordReset, User.UserReset)
    def _one_time_password_issued(self, batch: Batch, event: User.OneTimePasswordIssued | User.PasswordReset | User.UserReset) -> None:
        expires_at = event.expires_at if isinstance(event, User.OneTimePasswordIssued) else event.one_time_password_expires_at
        batch.update(self.activity, {"user_id": event.originator_id}, one_time_password_expires_at=utc(expires_at))

    @handles(User.OneTimePasswordExpired, User.PasswordChanged)
    def _one_time_password_gone(self, batch: Batch, event: User.OneTimePasswordExpired | User.PasswordChanged) -> None:
        batch.update(self.activity, {"user_id": event.originator_id}, one_time_password_expires_at=None)

    @handles(User.Activated)
    def _activated(self, batch: Batch, event: User.Activated) -> None:
        batch.update(self.activity, {"user_id": event.originator_id}, activated_at=utc(event.timestamp), one_time_password_expires_at=None)

    @handles(User.LoggedIn)
    def _logged_in(self, batch: Batch, event: User.LoggedIn) -> None:
        batch.update(self.activity, {"user_id": event.originator_id}, last_log_in_at=utc(event.timestamp))

    @handles(Mailbox.Used)
    def _mailbox_used(self, batch: Batch, event: Mailbox.Used) -> None:
        batch.update(self.activity, {"mailbox_id": event.originator_id}, last_mailbox_use_at=utc(event.timestamp))

    @handles(*FLAGS)
    def _flags_changed(self, batch: Batch, event: Any) -> None:
        set_flags(batch, self.users, event, FLAGS[type(event)], status=self.status_rule)

    @handles(User.Deleted)
    def _deleted(self, batch: Batch, event: User.Deleted) -> None:
        flags = {"deleted": True, "deleted_at": utc(event.timestamp), "undeletable_until": utc(event.undeletable_until)}
        set_flags(batch, self.users, event, flags, status=self.status_rule)

    @handles(User.Purged)
    def _purged(self, batch: Batch, event: User.Purged) -> None:
        batch.delete(self.users, id=event.originator_id)
        batch.delete(self.activity, user_id=event.originator_id)

    @handles(*ROW_EDITS)
    def _row_edited(self, batch: Batch, event: Any) -> None:
        row = batch.one(self.users, id=event.originator_id)
        values = edited(row, event, ("first_name", "last_name", "address", "original_address"))
        values["sort_name"] = sort_key(values["last_name"], values["first_name"])
        values["search_text"] = admin_search_text(row["username"], values["first_name"], values["last_name"], values["address"], values["aliases"])
        changed = changes(row, values)
        if changed:
            batch.update(self.users, {"id": event.originator_id}, **changed)


def admin_search_text(username: str, first_name: str, last_name: str, address: str, aliases: list[str]) -> str:
    return search_text(username, first_name, last_name, address, *aliases)
