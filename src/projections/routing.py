"""Mail routing: for every address the service knows, what happens to mail sent to it.

Kept normalised so every event touches few rows with set-based SQL: an
organisation's suspension is one row, a user's state is one row, and the
answer for an address is put together at query time by
:func:`projections.queries.route` from at most a handful of indexed rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Index, String, Text, case

from domain.mailbox import Mailbox
from domain.user import User
from projections.batch import Batch
from projections.common_tables import Addresses, ListMembers, Lists, OrganisationSuspensions, UserRows
from projections.framework import handles
from projections.tables import ADDRESS, key, optional, required, table, text_id
from projections.user_rows import DELETION, SUSPENSION, set_flags

# A user's state as routing sees it.
RECEIVING = "receiving"
SUSPENDED = "suspended"
DELETED = "deleted"

# What each status event sets on a user's row (``state`` follows from them).
FLAGS: dict[type, dict[str, bool]] = {**SUSPENSION, **DELETION}


class Routing(OrganisationSuspensions, Lists, ListMembers, Addresses, UserRows):
    name = "routing"
    rebuild_cost = 1.7

    organisations = table(
        "sema_routing_organisations", key("id"), required("account_type", String(20)), required("suspended", Boolean), optional("suspension_message", Text)
    )
    addresses = table(
        "sema_routing_addresses",
        key("address", ADDRESS),
        required("target_kind", String(20)),
        required("target_id"),
        Index("ix_sema_routing_addresses_target", "target_id"),
    )
    users = table(
        "sema_routing_users",
        key("id"),
        required("organisation_id"),
        required("address", ADDRESS),
        optional("original_address", ADDRESS),
        optional("mailbox_id"),
        required("state", String(20)),
        required("suspended", Boolean),
        required("deleted", Boolean),
    )
    group_mailboxes = table("sema_routing_group_mailboxes", key("id"), required("organisation_id"), required("purged", Boolean))
    lists = table("sema_routing_lists", key("id"), required("organisation_id"))
    members = table("sema_routing_list_members", key("list_id"), key("user_id"), Index("ix_sema_routing_list_members_user", "user_id"))

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        u = self.users.c
        # The state in one place, so queries and list expansion read one column.
        self.state_rule = case((u.deleted, DELETED), (u.suspended, SUSPENDED), else_=RECEIVING)

    # -------------------------------------------------------------------- users

    def user_row(self, event: User.Registered) -> dict[str, Any]:
        return {
            **super().user_row(event),
            "address": event.primary_address,
            "original_address": event.original_address,
            "mailbox_id": text_id(event.mailbox_id) if event.mailbox_id else None,
            "state": RECEIVING,
            "suspended": False,
            "deleted": False,
        }

    @handles(*FLAGS)
    def _user_flags_changed(self, batch: Batch, event: Any) -> None:
        set_flags(batch, self.users, event, FLAGS[type(event)], state=self.state_rule)

    @handles(User.Purged)
    def _user_purged(self, batch: Batch, event: User.Purged) -> None:
        """A purged user's addresses are released (``Addresses``): mail to them is to an unknown address."""
        batch.delete(self.members, user_id=event.originator_id)
        batch.delete(self.users, id=event.originator_id)

    @handles(User.SecureAddressChanged)
    def _secure_address_changed(self, batch: Batch, event: User.SecureAddressChanged) -> None:
        batch.update(self.users, {"id": event.originator_id}, address=event.new_address, original_address=event.original_address)

    # ----------------------------------------------------- lists and group mailboxes

    @handles(Mailbox.GroupMailboxCreated)
    def _group_mailbox_created(self, batch: Batch, event: Mailbox.GroupMailboxCreated) -> None:
        batch.insert(self.group_mailboxes, {"id": text_id(event.originator_id), "organisation_id": text_id(event.organisation_id), "purged": False})

    @handles(Mailbox.Purged)
    def _mailbox_purged(self, batch: Batch, event: Mailbox.Purged) -> None:
        batch.update(self.group_mailboxes, {"id": event.originator_id}, purged=True)

    @handles(Mailbox.GroupMailboxDeleted)
    def _group_mailbox_deleted(self, batch: Batch, event: Mailbox.GroupMailboxDeleted) -> None:
        """Its address is released (``Addresses``): mail to it is unknown, as if it never existed."""
        batch.delete(self.group_mailboxes, id=event.originator_id)
