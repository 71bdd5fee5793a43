"""The DistributionList aggregate: a named address expanding to members of any organisation."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.base import UNDELETE_PERIOD, From, SemaAggregate, joins, leaves, updates
from domain.errors import AlreadySo, DistributionListDeleted, RestorePeriodOver, RestorePeriodRunning
from domain.naming import check_display_name


class DistributionList(SemaAggregate):
    class Created(SemaAggregate.Created):
        organisation_id: UUID
        name: str
        address: str

    def __init__(self, *, organisation_id: UUID, name: str, address: str) -> None:
        self.organisation_id = organisation_id
        self.name = name
        self.address = address
        self.members: list[str] = []
        self.deleted = False
        # While set, the list is deleted but can be restored until then; its address stays claimed.
        self.restorable_until: datetime | None = None

    @classmethod
    def create(cls, *, id: UUID, organisation_id: UUID, name: str, address: str, by: Actor, at: datetime) -> DistributionList:
        return cls._new(cls.Created, id, by, at, organisation_id=organisation_id, name=check_display_name(name), address=address)

    class Renamed(SemaAggregate.Event):
        name: str
        apply = updates(name=From("name"))

    class MemberAdded(SemaAggregate.Event):
        user_id: UUID
        apply = joins("members", "user_id")

    class MemberRemoved(SemaAggregate.Event):
        user_id: UUID
        apply = leaves("members", "user_id")

    class AddressChanged(SemaAggregate.Event):
        new_address: str
        old_address: str
        apply = updates(address=From("new_address"))

    class Removed(SemaAggregate.Event):
        restorable_until: datetime
        apply = updates(restorable_until=From("restorable_until"))

    class Restored(SemaAggregate.Event):
        address: str
        apply = updates(restorable_until=None)

    class Deleted(SemaAggregate.Event):
        """For good: the address is released (after the undo period, or at once in histories before it)."""

        released_address: str
        apply = updates(deleted=True, restorable_until=None)

    @property
    def removed(self) -> bool:
        return self.restorable_until is not None

    def _require_present(self) -> None:
        if self.deleted or self.removed:
            raise DistributionListDeleted(list_id=self.id)

    def change_address(self, new_address: str, by: Actor, at: datetime) -> None:
        """The old address is released by the caller; mail to it is then unknown."""
        self._require_present()
        if new_address == self.address:
            raise AlreadySo("the list already has that address")
        self._record(self.AddressChanged, by, at, new_address=new_address, old_address=self.address)

    def rename(self, name: str, by: Actor, at: datetime) -> None:
        self._require_present()
        name = check_display_name(name)
        if name == self.name:
            raise AlreadySo("the list already has that name")
        self._record(self.Renamed, by, at, name=name)

    def add_member(self, user_id: UUID, by: Actor, at: datetime) -> None:
        self._require_present()
        if str(user_id) in self.members:
            raise AlreadySo("the user is already a member")
        self._record(self.MemberAdded, by, at, user_id=user_id)

    def remove_member(self, user_id: UUID, by: Actor, at: datetime) -> None:
        self._require_present()
        if str(user_id) not in self.members:
            raise AlreadySo("the user is not a member")
        self._record(self.MemberRemoved, by, at, user_id=user_id)

    def remove(self, by: Actor, at: datetime) -> None:
        """Deleted with an undo period: mail to it is returned, it can be restored for 30 days."""
        self._require_present()
        self._record(self.Removed, by, at, restorable_until=at + UNDELETE_PERIOD)

    def restore(self, by: Actor, at: datetime) -> None:
        if self.deleted:
            raise DistributionListDeleted(list_id=self.id)
        if self.restorable_until is None:
            raise AlreadySo("the list is not deleted")
        if at >= self.restorable_until:
            raise RestorePeriodOver(list_id=self.id, until=self.restorable_until)
        self._record(self.Restored, by, at, address=self.address)

    def delete(self, by: Actor, at: datetime) -> None:
        """For good, once the undo period is over; the address is released."""
        if self.deleted:
            raise AlreadySo("the list is already deleted")
        if self.restorable_until is None or at < self.restorable_until:
            raise RestorePeriodRunning(list_id=self.id, until=self.restorable_until or at + UNDELETE_PERIOD)
        self._record(self.Deleted, by, at, released_address=self.address)

