"""Distribution lists: a name, an address, members from any organisation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.claims import AddressClaim
from domain.distribution_list import DistributionList
from domain.errors import AddressTaken, InvalidValue, InvalidValues, UserNotFound
from domain.naming import service_address
from domain.permissions import require_service_administrator
from domain.user import UserKind
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command


class DistributionLists(Service):
    def _require_member(self, actor: Actor, user_id: UUID) -> None:
        """A member is a person not purged, of any organisation. Another organisation's
        person hidden from the directory (ex-directory or deleted) is refused to an
        organisation administrator exactly as an unknown user is, so that the refusal
        says nothing of them (ADR 64); a service administrator may add them."""
        user = self.aggregates.user(user_id)
        if user.purged or user.kind != UserKind.PERSON:
            raise UserNotFound(user_id)
        hidden = user.ex_directory or user.deleted
        if hidden and user.organisation_id != actor.organisation_id and not actor.is_service_administrator:
            raise UserNotFound(user_id)

    @command
    def create(self, uow: UnitOfWork, actor: Actor, at: datetime, organisation_id: UUID, name: str, local_part: str, member_ids: Sequence[UUID] = ()) -> tuple[UUID, str]:
        organisation = self.aggregates.administered_organisation(actor, organisation_id)
        address = service_address(local_part, organisation.code, self.settings.service_domain)
        dl = DistributionList.create(id=self.context.new_id(), organisation_id=organisation.id, name=name, address=address, by=actor, at=at)
        claim = self.claims.claim_one(AddressClaim, address, "distribution_list", dl.id, actor, at, AddressTaken)
        unknown = []
        for index, member_id in enumerate(member_ids):
            if str(member_id) in dl.members:
                continue  # given twice: a member once
            try:
                self._require_member(actor, member_id)
            except UserNotFound:
                # A field of the body, not the resource of the path: a 422 naming each.
                unknown.append(InvalidValue(f"member_ids.{index}", f"user {member_id} not found"))
                continue
            dl.add_member(member_id, actor, at)
        InvalidValues.raise_any(unknown)
        uow.save(dl, claim)
        return dl.id, address

    def rename(self, actor: Actor, at: datetime, list_id: UUID, name: str) -> None:
        self.change(self.aggregates.administered_list, actor, list_id, lambda dl: dl.rename(name, actor, at))

    def add_member(self, actor: Actor, at: datetime, list_id: UUID, user_id: UUID) -> None:
        def add(dl: DistributionList) -> None:
            self._require_member(actor, user_id)
            dl.add_member(user_id, actor, at)

        self.change(self.aggregates.administered_list, actor, list_id, add)

    def remove_member(self, actor: Actor, at: datetime, list_id: UUID, user_id: UUID) -> None:
        self.change(self.aggregates.administered_list, actor, list_id, lambda dl: dl.remove_member(user_id, actor, at))

    @command
    def change_address(self, uow: UnitOfWork, actor: Actor, at: datetime, list_id: UUID, local_part: str) -> str:
        """A new address in the organisation's form; the old one is released."""
        dl = self.aggregates.administered_list(actor, list_id)
        organisation = self.aggregates.organisation(dl.organisation_id)
        address = service_address(local_part, organisation.code, self.settings.service_domain)
        old = dl.address
        dl.change_address(address, actor, at)
        claim = self.claims.claim_one(AddressClaim, address, "distribution_list", dl.id, actor, at, AddressTaken)
        uow.save(dl, claim, self.claims.release(AddressClaim, old, dl.id, actor, at))
        return address

    def delete(self, actor: Actor, at: datetime, list_id: UUID) -> datetime:
        """Deleted with an undo period: restorable until the returned moment, the address kept till then."""
        dl = self.change(self.aggregates.administered_list, actor, list_id, lambda dl: dl.remove(actor, at))
        assert dl.restorable_until is not None
        return dl.restorable_until

    def restore(self, actor: Actor, at: datetime, list_id: UUID) -> None:
        self.change(self.aggregates.administered_list, actor, list_id, lambda dl: dl.restore(actor, at))

    @command
    def purge(self, uow: UnitOfWork, actor: Actor, at: datetime, list_id: UUID) -> None:
        """After the undo period (the policy): the list goes for good and its address is released."""
        require_service_administrator(actor)
        dl = self.aggregates.distribution_list(list_id)
        dl.delete(actor, at)
        uow.save(dl, self.claims.release(AddressClaim, dl.address, dl.id, actor, at))
