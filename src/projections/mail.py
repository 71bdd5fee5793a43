"""The mail system's read model: the rows Postfix and Dovecot look up.

Postfix (``sqlite:``/``pgsql:`` maps) and Dovecot (SQL passdb and userdb)
query these tables directly with the plain selects in :mod:`mail.lookups`;
see docs/adr/0040. They are shaped for those queries: one indexed row per
address, one row per user carrying the two answers the servers need —
``receives`` (mail is delivered) and ``logs_in`` (IMAP log-in allowed) —
worked out from the user's flags by SQL over the row, so every status event
is one ``UPDATE``. An organisation's suspension is one row, joined at look-up
time. Password hashes are not here: Dovecot reads them where sema keeps
them (``sema_credentials``), never a copy.
"""

from __future__ import annotations

from typing import Any

from anyascii import anyascii
from sqlalchemy import Boolean, DateTime, Index, String, and_, not_

from domain.grants import GrantingAggregate
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User
from projections.batch import Batch
from projections.common_tables import Addresses, GroupPermissions, ListMembers, Lists, OrganisationSuspensions, UserRows
from projections.framework import handles, utc
from projections.tables import ADDRESS, key, optional, required, table, text_id
from projections.user_rows import DELETION, LOCKING, SUSPENSION, set_flags

# What each event sets on a user's row (``receives`` and ``logs_in`` follow from them).
FLAGS: dict[type, dict[str, bool]] = {
    **SUSPENSION,
    **DELETION,
    **LOCKING,
    User.Activated: {"own_password": True, "security_set": True},
    User.PasswordChanged: {"own_password": True},
    User.SecurityInformationSet: {"security_set": True},
    User.OneTimePasswordIssued: {"own_password": False},
    User.PasswordReset: {"own_password": False},
    User.UserReset: {"own_password": False, "security_set": False, "locked": False},
}


SUSPENDED_REPLY = "mail to this organisation is suspended"
MAX_REPLY = 400


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].lower()


def smtp_reply_text(message: str | None) -> str:
    """An organisation's message as an SMTP reply can carry it: one line of printable ASCII, not too long."""
    text = " ".join(anyascii(message or "").split())
    text = "".join(c for c in text if " " <= c <= "~")
    return text[:MAX_REPLY] or SUSPENDED_REPLY


class MailSystem(OrganisationSuspensions, Lists, ListMembers, Addresses, GroupPermissions, UserRows):
    name = "mail"
    rebuild_cost = 3.1
    # Postfix's and Dovecot's look-ups; the handlers key users by id and addresses by address or target.
    deferred_indexes = (
        "ix_sema_mail_addresses_domain",
        "ix_sema_mail_users_address",
        "ix_sema_mail_users_username",
        "ix_sema_mail_users_mailbox",
        "ix_sema_mail_group_mailboxes_address",
        "ix_sema_mail_grants_owner",
    )

    organisations = table(
        "sema_mail_organisations", key("id"), required("account_type", String(20)), required("suspended", Boolean), optional("suspension_message", String(1000))
    )
    # Every address mail may be sent to: primary and old-style addresses, addresses kept after a rename, lists, group mailboxes.
    addresses = table(
        "sema_mail_addresses",
        key("address", ADDRESS),
        required("domain", ADDRESS),
        required("target_kind", String(20)),
        required("target_id"),
        Index("ix_sema_mail_addresses_target", "target_id"),
        Index("ix_sema_mail_addresses_domain", "domain"),
    )
    users = table(
        "sema_mail_users",
        key("id"),
        required("organisation_id"),
        required("username", String(100)),
        required("address", ADDRESS),
        optional("relay_to", ADDRESS),  # smtp/gsc users: their original address
        optional("mailbox_id"),
        required("suspended", Boolean),
        required("deleted", Boolean),
        required("locked", Boolean),
        required("own_password", Boolean),
        required("security_set", Boolean),
        required("receives", Boolean),
        required("logs_in", Boolean),
        Index("ix_sema_mail_users_address", "address"),
        Index("ix_sema_mail_users_username", "username"),
        Index("ix_sema_mail_users_mailbox", "mailbox_id"),
    )
    group_mailboxes = table(
        "sema_mail_group_mailboxes", key("id"), required("organisation_id"), required("address", ADDRESS), Index("ix_sema_mail_group_mailboxes_address", "address")
    )
    lists = table("sema_mail_lists", key("id"), required("organisation_id"))
    members = table("sema_mail_list_members", key("list_id"), key("user_id"), Index("ix_sema_mail_list_members_user", "user_id"))
    permissions = table("sema_mail_permissions", key("mailbox_id"), key("user_id"), key("permission", String(10)), Index("ix_sema_mail_permissions_user", "user_id"))
    personal_mailboxes = table("sema_mail_personal_mailboxes", key("id"), required("owner_id"))
    # Exceptional access to a personal mailbox: who asked (the grantee), and until when it is in force.
    grants = table(
        "sema_mail_grants",
        key("grant_id"),
        required("mailbox_id"),
        required("owner_id"),
        required("grantee_id", String(100)),
        required("in_force", Boolean),
        optional("expires_at", DateTime(timezone=True)),
        Index("ix_sema_mail_grants_owner", "owner_id", "grantee_id"),
    )

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        u = self.users.c
        # One expression object each, so like updates share one statement.
        self.derived = {
            "receives": and_(not_(u.suspended), not_(u.deleted)),
            "logs_in": and_(not_(u.suspended), not_(u.deleted), not_(u.locked), u.own_password, u.security_set),
        }

    def address_row(self, address: str, kind: str, target_id: str) -> dict[str, Any]:
        return {**super().address_row(address, kind, target_id), "domain": domain_of(address)}

    @handles(Organisation.Suspended)
    def _suspension_reply(self, batch: Batch, event: Organisation.Suspended) -> None:
        """Runs after the mixin's handler: the message is kept as Postfix will send it."""
        batch.update(self.organisations, {"id": event.originator_id}, suspension_message=smtp_reply_text(event.message))

    # -------------------------------------------------------------------- users

    def user_row(self, event: User.Registered) -> dict[str, Any]:
        return {
            **super().user_row(event),
            "username": event.username.lower(),
            "address": event.primary_address.lower(),
            "relay_to": event.original_address,
            "mailbox_id": text_id(event.mailbox_id) if event.mailbox_id else None,
            "suspended": False,
            "deleted": False,
            "locked": False,
            "own_password": False,
            "security_set": False,
            "receives": True,
            "logs_in": False,
        }

    @handles(*FLAGS)
    def _user_flags_changed(self, batch: Batch, event: Any) -> None:
        set_flags(batch, self.users, event, FLAGS[type(event)], **self.derived)

    @handles(User.Purged)
    def _user_purged(self, batch: Batch, event: User.Purged) -> None:
        """A purged user's addresses are released (``Addresses``): mail to them is to an unknown address."""
        batch.delete(self.members, user_id=event.originator_id)
        batch.delete(self.permissions, user_id=event.originator_id)
        batch.delete(self.users, id=event.originator_id)

    @handles(User.SecureAddressChanged)
    def _secure_address_changed(self, batch: Batch, event: User.SecureAddressChanged) -> None:
        batch.update(self.users, {"id": event.originator_id}, address=event.new_address.lower(), relay_to=event.original_address)

    # ----------------------------------------------------- lists and group mailboxes

    @handles(Mailbox.GroupMailboxCreated)
    def _group_mailbox_created(self, batch: Batch, event: Mailbox.GroupMailboxCreated) -> None:
        batch.insert(self.group_mailboxes, {"id": text_id(event.originator_id), "organisation_id": text_id(event.organisation_id), "address": event.address.lower()})

    @handles(Mailbox.Purged, Mailbox.GroupMailboxDeleted)
    def _mailbox_purged(self, batch: Batch, event: Mailbox.Purged | Mailbox.GroupMailboxDeleted) -> None:
        """A purged or deleted group mailbox's address is unknown from then on; nobody opens it (its permissions go: ``GroupPermissions``)."""
        batch.delete(self.addresses, target_id=event.originator_id)
        batch.delete(self.group_mailboxes, id=event.originator_id)

    # -------------------------------------------------------- exceptional access

    @handles(Mailbox.Created)
    def _personal_mailbox_created(self, batch: Batch, event: Mailbox.Created) -> None:
        batch.insert(self.personal_mailboxes, {"id": text_id(event.originator_id), "owner_id": text_id(event.owner_id)})

    @handles(Mailbox.ExceptionalAccessRequested)
    def _access_requested(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessRequested) -> None:
        mailbox = batch.one(self.personal_mailboxes, id=event.originator_id)
        row = {"grant_id": text_id(event.grant_id), "mailbox_id": text_id(event.originator_id), "owner_id": mailbox["owner_id"]}
        batch.insert(self.grants, {**row, "grantee_id": event.actor_id, "in_force": False, "expires_at": None})

    @handles(Mailbox.ExceptionalAccessGranted)
    def _access_granted(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessGranted) -> None:
        batch.update(self.grants, {"grant_id": event.grant_id}, in_force=True, expires_at=utc(event.expires_at))

    @handles(Mailbox.ExceptionalAccessRefused, Mailbox.ExceptionalAccessRevoked, Mailbox.ExceptionalAccessExpired)
    def _access_ended(self, batch: Batch, event: Any) -> None:
        batch.update(self.grants, {"grant_id": event.grant_id}, in_force=False)

