"""Mail routing: for every address the service knows, what happens to mail sent to it.

Kept normalised so every event touches few rows with set-based SQL: an
organisation's suspension is one row, a user's state is one row, and the
answer for an address is put together at query time by
:func:`projections.queries.route` from at most a handful of indexed rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Index, String, Text, case, delete, update
from sqlalchemy.orm import Session

from domain.distribution_list import DistributionList
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User
from projections.framework import ReadModel, handles

TARGET_USER = "user"
TARGET_LIST = "distribution_list"
TARGET_GROUP_MAILBOX = "group_mailbox"

# A user's state as routing sees it.
RECEIVING = "receiving"
SUSPENDED = "suspended"
DELETED = "deleted"


class Routing(ReadModel):
    name = "routing"

    def define_tables(self) -> None:
        self.organisations = self.table(
            "sema_routing_organisations",
            Column("id", String(36), primary_key=True),
            Column("account_type", String(20), nullable=False),
            Column("suspended", Boolean, nullable=False),
            Column("suspension_message", Text),
        )
        self.addresses = self.table(
            "sema_routing_addresses",
            Column("address", String(320), primary_key=True),
            Column("target_kind", String(20), nullable=False),
            Column("target_id", String(36), nullable=False),
            Index(self.index_name("ix_sema_routing_addresses_target"), "target_id"),
        )
        self.users = self.table(
            "sema_routing_users",
            Column("id", String(36), primary_key=True),
            Column("organisation_id", String(36), nullable=False),
            Column("address", String(320), nullable=False),
            Column("original_address", String(320)),
            Column("mailbox_id", String(36)),
            Column("state", String(20), nullable=False),
            Column("suspended", Boolean, nullable=False),
            Column("deleted", Boolean, nullable=False),
        )
        self.group_mailboxes = self.table(
            "sema_routing_group_mailboxes",
            Column("id", String(36), primary_key=True),
            Column("organisation_id", String(36), nullable=False),
            Column("purged", Boolean, nullable=False),
        )
        self.lists = self.table(
            "sema_routing_lists",
            Column("id", String(36), primary_key=True),
            Column("organisation_id", String(36), nullable=False),
        )
        self.members = self.table(
            "sema_routing_list_members",
            Column("list_id", String(36), primary_key=True),
            Column("user_id", String(36), primary_key=True),
            Index(self.index_name("ix_sema_routing_list_members_user"), "user_id"),
        )

    # ------------------------------------------------------------ organisations

    @handles(Organisation.Registered)
    def _organisation_registered(self, session: Session, event: Organisation.Registered, notification_id: int) -> None:
        session.execute(
            self.organisations.insert().values(
                id=str(event.originator_id), account_type=event.account_type, suspended=False, suspension_message=None
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

    # -------------------------------------------------------------------- users

    @handles(User.Registered, appends_only=True)
    def _user_registered(self, session: Session, event: User.Registered, notification_id: int) -> None:
        user_id = str(event.originator_id)
        self.insert_later(
            session,
            self.users,
            {
                "id": user_id,
                "organisation_id": str(event.organisation_id),
                "address": event.primary_address,
                "original_address": event.original_address,
                "mailbox_id": str(event.mailbox_id) if event.mailbox_id else None,
                "state": RECEIVING,
                "suspended": False,
                "deleted": False,
            },
        )
        for address in [event.primary_address, event.old_style_address]:
            if address:
                self.insert_later(session, self.addresses, {"address": address.lower(), "target_kind": TARGET_USER, "target_id": user_id})

    def _set_user_flags(self, session: Session, items: list[tuple[Any, int]], **flags: bool) -> None:
        ids = [str(event.originator_id) for event, _ in items]
        users = self.users.c
        session.execute(update(self.users).where(users.id.in_(ids)).values(**flags))
        # The state in one place, so queries and list expansion read one column.
        session.execute(
            update(self.users)
            .where(users.id.in_(ids))
            .values(state=case((users.deleted, DELETED), (users.suspended, SUSPENDED), else_=RECEIVING))
        )

    @handles(User.Suspended, many=True)
    def _users_suspended(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_user_flags(session, items, suspended=True)

    @handles(User.Unsuspended, many=True)
    def _users_unsuspended(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_user_flags(session, items, suspended=False)

    @handles(User.Deleted, many=True)
    def _users_deleted(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_user_flags(session, items, deleted=True)

    @handles(User.Undeleted, many=True)
    def _users_undeleted(self, session: Session, items: list[tuple[Any, int]]) -> None:
        self._set_user_flags(session, items, deleted=False)

    @handles(User.Purged)
    def _user_purged(self, session: Session, event: User.Purged, notification_id: int) -> None:
        """A purged user's addresses are released: mail to them is to an unknown address."""
        user_id = str(event.originator_id)
        session.execute(delete(self.addresses).where(self.addresses.c.target_id == user_id))
        session.execute(delete(self.members).where(self.members.c.user_id == user_id))
        session.execute(delete(self.users).where(self.users.c.id == user_id))

    @handles(User.SecureAddressChanged)
    def _secure_address_changed(self, session: Session, event: User.SecureAddressChanged, notification_id: int) -> None:
        """The old address stays as an alias that still delivers."""
        user_id = str(event.originator_id)
        session.execute(
            update(self.users).where(self.users.c.id == user_id).values(address=event.new_address, original_address=event.original_address)
        )
        session.execute(delete(self.addresses).where(self.addresses.c.address == event.new_address.lower()))
        session.execute(self.addresses.insert().values(address=event.new_address.lower(), target_kind=TARGET_USER, target_id=user_id))

    @handles(User.AliasRemoved)
    def _alias_removed(self, session: Session, event: User.AliasRemoved, notification_id: int) -> None:
        session.execute(
            delete(self.addresses).where(self.addresses.c.address == event.address.lower(), self.addresses.c.target_id == str(event.originator_id))
        )

    # ----------------------------------------------------- lists and group mailboxes

    @handles(DistributionList.Created, appends_only=True)
    def _list_created(self, session: Session, event: DistributionList.Created, notification_id: int) -> None:
        list_id = str(event.originator_id)
        self.insert_later(session, self.lists, {"id": list_id, "organisation_id": str(event.organisation_id)})
        self.insert_later(session, self.addresses, {"address": event.address.lower(), "target_kind": TARGET_LIST, "target_id": list_id})

    @handles(DistributionList.MemberAdded, appends_only=True)
    def _member_added(self, session: Session, event: DistributionList.MemberAdded, notification_id: int) -> None:
        self.insert_later(session, self.members, {"list_id": str(event.originator_id), "user_id": str(event.user_id)})

    @handles(DistributionList.MemberRemoved)
    def _member_removed(self, session: Session, event: DistributionList.MemberRemoved, notification_id: int) -> None:
        session.execute(
            delete(self.members).where(self.members.c.list_id == str(event.originator_id), self.members.c.user_id == str(event.user_id))
        )

    @handles(DistributionList.Deleted)
    def _list_deleted(self, session: Session, event: DistributionList.Deleted, notification_id: int) -> None:
        list_id = str(event.originator_id)
        session.execute(delete(self.addresses).where(self.addresses.c.target_id == list_id))
        session.execute(delete(self.members).where(self.members.c.list_id == list_id))
        session.execute(delete(self.lists).where(self.lists.c.id == list_id))

    @handles(Mailbox.GroupMailboxCreated, appends_only=True)
    def _group_mailbox_created(self, session: Session, event: Mailbox.GroupMailboxCreated, notification_id: int) -> None:
        mailbox_id = str(event.originator_id)
        self.insert_later(session, self.group_mailboxes, {"id": mailbox_id, "organisation_id": str(event.organisation_id), "purged": False})
        self.insert_later(
            session, self.addresses, {"address": event.address.lower(), "target_kind": TARGET_GROUP_MAILBOX, "target_id": mailbox_id}
        )

    @handles(Mailbox.Purged)
    def _mailbox_purged(self, session: Session, event: Mailbox.Purged, notification_id: int) -> None:
        session.execute(update(self.group_mailboxes).where(self.group_mailboxes.c.id == str(event.originator_id)).values(purged=True))
