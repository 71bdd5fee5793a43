"""Tables several read models keep alike, with their handlers, written once.

A read model takes one by basing itself on the mixin and declaring the table
the mixin names (``organisations``, ``administrators``, ``members``,
``lists``, ``addresses``, ``permissions``, ``users``) under its own table name, with the columns
and indexes its queries need.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from domain.distribution_list import DistributionList
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User
from projections.batch import Batch
from projections.framework import ReadModel, handles
from projections.tables import text_id


class OrganisationRows(ReadModel):
    """``organisations``: a row per organisation, with the details it has columns for, kept up to date."""

    organisations: Table

    @handles(Organisation.Registered)
    def _organisation_registered(self, batch: Batch, event: Organisation.Registered) -> None:
        known = {
            "id": text_id(event.originator_id),
            "name": event.name,
            "code": event.code,
            "account_type": event.account_type,
            "domains": list(event.domains),
            "suspended": False,
            "suspension_message": None,
        }
        batch.insert(self.organisations, {column: known[column] for column in self.organisations.c.keys()})


    @handles(Organisation.Renamed)
    def _organisation_renamed(self, batch: Batch, event: Organisation.Renamed) -> None:
        if "name" in self.organisations.c:
            batch.update(self.organisations, {"id": event.originator_id}, name=event.name)

    @handles(Organisation.MailDomainAdded, Organisation.MailDomainRemoved)
    def _organisation_domains_changed(self, batch: Batch, event: Organisation.MailDomainAdded | Organisation.MailDomainRemoved) -> None:
        if "domains" in self.organisations.c:
            domains = set(batch.one(self.organisations, id=event.originator_id)["domains"])
            if isinstance(event, Organisation.MailDomainAdded):
                domains.add(event.domain)
            else:
                domains.discard(event.domain)
            batch.update(self.organisations, {"id": event.originator_id}, domains=sorted(domains))


class OrganisationSuspensions(OrganisationRows):
    """``organisations`` with ``suspended`` and ``suspension_message`` columns kept up to date."""

    @handles(Organisation.Suspended)
    def _organisation_suspended(self, batch: Batch, event: Organisation.Suspended) -> None:
        batch.update(self.organisations, {"id": event.originator_id}, suspended=True, suspension_message=event.message)

    @handles(Organisation.Unsuspended)
    def _organisation_unsuspended(self, batch: Batch, event: Organisation.Unsuspended) -> None:
        batch.update(self.organisations, {"id": event.originator_id}, suspended=False, suspension_message=None)


class UserRows(ReadModel):
    """``users``: a row per user from its registration, made by :meth:`user_row`."""

    users: Table

    def user_row(self, event: User.Registered) -> dict[str, Any]:
        """The new user's row; a read model with more columns extends it."""
        return {"id": text_id(event.originator_id), "organisation_id": text_id(event.organisation_id)}

    @handles(User.Registered)
    def _user_registered(self, batch: Batch, event: User.Registered) -> None:
        batch.insert(self.users, self.user_row(event))


class Administrators(ReadModel):
    """``administrators``: an (organisation_id, user_id) row per organisation administrator."""

    administrators: Table

    @handles(Organisation.AdministratorAppointed)
    def _administrator_appointed(self, batch: Batch, event: Organisation.AdministratorAppointed) -> None:
        batch.insert(self.administrators, {"organisation_id": text_id(event.originator_id), "user_id": text_id(event.user_id)})

    @handles(Organisation.AdministratorRevoked)
    def _administrator_revoked(self, batch: Batch, event: Organisation.AdministratorRevoked) -> None:
        batch.delete(self.administrators, organisation_id=event.originator_id, user_id=event.user_id)


class Lists(ReadModel):
    """``lists``: an (id, organisation_id) row per distribution list that is not deleted."""

    lists: Table

    @handles(DistributionList.Created)
    def _list_created(self, batch: Batch, event: DistributionList.Created) -> None:
        batch.insert(self.lists, {"id": text_id(event.originator_id), "organisation_id": text_id(event.organisation_id)})

    @handles(DistributionList.Deleted)
    def _list_deleted(self, batch: Batch, event: DistributionList.Deleted) -> None:
        batch.delete(self.lists, id=event.originator_id)


class ListMembers(ReadModel):
    """``members``: a (list_id, user_id) row per member of a distribution list; none once it is deleted."""

    members: Table

    @handles(DistributionList.MemberAdded)
    def _member_added(self, batch: Batch, event: DistributionList.MemberAdded) -> None:
        batch.insert(self.members, {"list_id": text_id(event.originator_id), "user_id": text_id(event.user_id)})

    @handles(DistributionList.MemberRemoved)
    def _member_removed(self, batch: Batch, event: DistributionList.MemberRemoved) -> None:
        batch.delete(self.members, list_id=event.originator_id, user_id=event.user_id)

    @handles(DistributionList.Deleted)
    def _list_members_gone(self, batch: Batch, event: DistributionList.Deleted) -> None:
        batch.delete(self.members, list_id=event.originator_id)


TARGET_USER = "user"
TARGET_LIST = "distribution_list"
TARGET_GROUP_MAILBOX = "group_mailbox"


class Addresses(ReadModel):
    """``addresses``: a row per address mail may be sent to (``address``, ``target_kind``,
    ``target_id``) — users' primary and old-style addresses and those kept after a
    rename, lists, group mailboxes; a purged user's and a deleted list's are released."""

    addresses: Table

    def address_row(self, address: str, kind: str, target_id: str) -> dict[str, Any]:
        """The row for an address; a read model with more columns extends it."""
        return {"address": address.lower(), "target_kind": kind, "target_id": target_id}

    def _address(self, batch: Batch, address: str, kind: str, target_id: Any) -> None:
        batch.insert(self.addresses, self.address_row(address, kind, str(target_id)))

    @handles(User.Registered)
    def _user_addresses(self, batch: Batch, event: User.Registered) -> None:
        for address in [event.primary_address, event.old_style_address]:
            if address:
                self._address(batch, address, TARGET_USER, event.originator_id)

    @handles(User.SecureAddressChanged)
    def _new_secure_address(self, batch: Batch, event: User.SecureAddressChanged) -> None:
        """The old address stays as an alias that still delivers."""
        batch.delete(self.addresses, address=event.new_address.lower())
        self._address(batch, event.new_address, TARGET_USER, event.originator_id)

    @handles(User.AliasRemoved)
    def _alias_removed(self, batch: Batch, event: User.AliasRemoved) -> None:
        batch.delete(self.addresses, address=event.address.lower(), target_id=event.originator_id)

    @handles(User.Purged, DistributionList.Deleted, DistributionList.Removed, Mailbox.GroupMailboxDeleted)
    def _addresses_released(self, batch: Batch, event: User.Purged | DistributionList.Deleted | DistributionList.Removed | Mailbox.GroupMailboxDeleted) -> None:
        """Also while a list is deleted but restorable: mail to it is to an unknown address."""
        batch.delete(self.addresses, target_id=event.originator_id)

    @handles(DistributionList.Restored, DistributionList.AddressChanged)
    def _list_readdressed(self, batch: Batch, event: DistributionList.Restored | DistributionList.AddressChanged) -> None:
        address = event.address if isinstance(event, DistributionList.Restored) else event.new_address
        batch.delete(self.addresses, target_id=event.originator_id)
        self._address(batch, address, TARGET_LIST, event.originator_id)

    @handles(DistributionList.Created)
    def _list_address(self, batch: Batch, event: DistributionList.Created) -> None:
        self._address(batch, event.address, TARGET_LIST, event.originator_id)

    @handles(Mailbox.GroupMailboxCreated)
    def _group_mailbox_address(self, batch: Batch, event: Mailbox.GroupMailboxCreated) -> None:
        self._address(batch, event.address, TARGET_GROUP_MAILBOX, event.originator_id)


class GroupPermissions(ReadModel):
    """``permissions``: a (mailbox_id, user_id, permission) row per permission held on a group mailbox; none once it is purged."""

    permissions: Table

    @handles(Mailbox.PermissionGranted)
    def _permission_granted(self, batch: Batch, event: Mailbox.PermissionGranted) -> None:
        batch.insert(self.permissions, {"mailbox_id": text_id(event.originator_id), "user_id": text_id(event.user_id), "permission": event.permission})

    @handles(Mailbox.PermissionRevoked)
    def _permission_revoked(self, batch: Batch, event: Mailbox.PermissionRevoked) -> None:
        batch.delete(self.permissions, mailbox_id=event.originator_id, user_id=event.user_id, permission=event.permission)

    @handles(Mailbox.Purged, Mailbox.GroupMailboxDeleted)
    def _permissions_purged(self, batch: Batch, event: Mailbox.Purged | Mailbox.GroupMailboxDeleted) -> None:
        batch.delete(self.permissions, mailbox_id=event.originator_id)
