"""The DistributionList aggregate: a named address expanding to members of any organisation."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import AlreadySo, DistributionListDeleted
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

    @classmethod
    def create(cls, *, id: UUID, organisation_id: UUID, name: str, address: str, by: Actor, at: datetime) -> DistributionList:
        return cls._new(cls.Created, id, by, at, organisation_id=organisation_id, name=check_display_name(name), address=address)

    class Renamed(SemaAggregate.Event):
        name: str

        def apply(self, dl: DistributionList) -> None:
            dl.name = self.name

    class MemberAdded(SemaAggregate.Event):
        user_id: UUID

        def apply(self, dl: DistributionList) -> None:
            dl.members.append(str(self.user_id))

    class MemberRemoved(SemaAggregate.Event):
        user_id: UUID

        def apply(self, dl: DistributionList) -> None:
            dl.members.remove(str(self.user_id))

    class Deleted(SemaAggregate.Event):
        released_address: str

        def apply(self, dl: DistributionList) -> None:
            dl.deleted = True

    def _require_present(self) -> None:
        if self.deleted:
            raise DistributionListDeleted(list_id=self.id)

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

    def delete(self, by: Actor, at: datetime) -> None:
        if self.deleted:
            raise AlreadySo("the list is already deleted")
        self._record(self.Deleted, by, at, released_address=self.address)

