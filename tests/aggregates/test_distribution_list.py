"""The DistributionList aggregate's rules, stated without a store."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from aggregate_testkit import ADMIN, ORG, T0, Given, then
from domain.distribution_list import DistributionList
from domain.errors import AlreadySo, DistributionListDeleted, InvalidValue

MEMBER = UUID("60000000-0000-0000-0000-000000000001")


def created() -> Given:
    return Given(DistributionList).event("Created", organisation_id=ORG, name="Duty team", address="duty-team@org.cjsm.net")


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_list_needs_a_name_of_reasonable_length(name: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        DistributionList.create(id=uuid4(), organisation_id=ORG, name=name, address="team@org.cjsm.net", by=ADMIN, at=T0)
    assert refused.value.field == "name"


def test_a_member_is_added_once_and_removed_once() -> None:
    dl = created().aggregate()
    dl.add_member(MEMBER, ADMIN, T0)
    with pytest.raises(AlreadySo):
        dl.add_member(MEMBER, ADMIN, T0)
    dl.remove_member(MEMBER, ADMIN, T0)
    with pytest.raises(AlreadySo):
        dl.remove_member(MEMBER, ADMIN, T0)
    assert then(dl) == [("MemberAdded", {"user_id": MEMBER}), ("MemberRemoved", {"user_id": MEMBER})]


def test_renaming_to_the_same_name_is_already_so() -> None:
    dl = created().aggregate()
    with pytest.raises(AlreadySo):
        dl.rename(" Duty team ", ADMIN, T0)
    dl.rename("Night duty team", ADMIN, T0)
    assert then(dl) == [("Renamed", {"name": "Night duty team"})]


def test_deleting_a_list_releases_its_address_and_ends_its_changes() -> None:
    dl = created().event("MemberAdded", user_id=MEMBER).aggregate()
    dl.delete(ADMIN, T0)
    assert then(dl) == [("Deleted", {"released_address": "duty-team@org.cjsm.net"})]
    with pytest.raises(DistributionListDeleted):
        dl.add_member(uuid4(), ADMIN, T0)
    with pytest.raises(DistributionListDeleted):
        dl.rename("Another", ADMIN, T0)
    with pytest.raises(AlreadySo):
        dl.delete(ADMIN, T0)
