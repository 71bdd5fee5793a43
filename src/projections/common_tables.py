"""Tables several read models keep alike, with their handlers, written once.

A read model takes one by basing itself on the mixin and declaring the table
the mixin names (``organisations``, ``administrators``, ``members``) under its
own table name, with the columns and indexes its queries need.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Table

from domain.distribution_list import DistributionList
from domain.organisation import Organisation
from projections.batch import Batch
from projections.framework import ReadModel, handles


class OrganisationRows(ReadModel):
    """``organisations``: a row per organisation, with the details it has columns for, kept up to date."""

    organisations: Table

    @handles(Organisation.Registered)
    def _organisation_registered(self, batch: Batch, event: Organisation.Registered) -> None:
        known = {
            "id": str(event.originator_id),
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


class Administrators(ReadModel):
    """``administrators``: an (organisation_id, user_id) row per organisation administrator."""

    administrators: Table

    @handles(Organisation.AdministratorAppointed)
    def _administrator_appointed(self, batch: Batch, event: Organisation.AdministratorAppointed) -> None:
        batch.insert(self.administrators, {"organisation_id": str(event.originator_id), "user_id": str(event.user_id)})

    @handles(Organisation.AdministratorRevoked)
    def _administrator_revoked(self, batch: Batch, event: Organisation.AdministratorRevoked) -> None:
        batch.delete(self.administrators, organisation_id=event.originator_id, user_id=event.user_id)


class ListMembers(ReadModel):
    """``members``: a (list_id, user_id) row per member of a distribution list; none once it is deleted."""

    members: Table

    @handles(DistributionList.MemberAdded)
    def _member_added(self, batch: Batch, event: DistributionList.MemberAdded) -> None:
        batch.insert(self.members, {"list_id": str(event.originator_id), "user_id": str(event.user_id)})

    @handles(DistributionList.MemberRemoved)
    def _member_removed(self, batch: Batch, event: DistributionList.MemberRemoved) -> None:
        batch.delete(self.members, list_id=event.originator_id, user_id=event.user_id)

    @handles(DistributionList.Deleted)
    def _list_members_gone(self, batch: Batch, event: DistributionList.Deleted) -> None:
        batch.delete(self.members, list_id=event.originator_id)


class ListAddresses(ReadModel):
    """``addresses`` rows of lists, for read models that route mail: none while a
    list is deleted but restorable (mail to it is to an unknown address), back
    when it is restored, moved when its address changes. The read model gives
    ``list_kind`` and ``_address``."""

    addresses: Table
    list_kind: ClassVar[str]

    def _address(self, batch: Batch, address: str, kind: str, target_id: str) -> None:
        raise NotImplementedError

    @handles(DistributionList.Removed)
    def _list_removed(self, batch: Batch, event: DistributionList.Removed) -> None:
        batch.delete(self.addresses, target_id=event.originator_id)

    @handles(DistributionList.Restored, DistributionList.AddressChanged)
    def _list_addressed(self, batch: Batch, event: DistributionList.Restored | DistributionList.AddressChanged) -> None:
        address = event.address if isinstance(event, DistributionList.Restored) else event.new_address
        batch.delete(self.addresses, target_id=event.originator_id)
        self._address(batch, address, self.list_kind, str(event.originator_id))
