"""The DistributionList aggregate's rules, stated without a store."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from aggregate_testkit import ADMIN, ORG, SYSTEM, T0, Given, days, then
from domain.distribution_list import DistributionList
from domain.errors import AlreadySo, DistributionListDeleted, InvalidValue, UndeletePeriodOver, UndeletePeriodRunning

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


def test_deleting_a_list_starts_an_undo_period_then_releases_its_address_for_good() -> None:
    dl = created().event("MemberAdded", user_id=MEMBER).aggregate()
    dl.remove(ADMIN, T0)
    assert then(dl) == [("Removed", {"restorable_until": T0 + days(30)})]
    with pytest.raises(DistributionListDeleted):
        dl.add_member(uuid4(), ADMIN, T0)
    with pytest.raises(DistributionListDeleted):
        dl.rename("Another", ADMIN, T0)
    with pytest.raises(UndeletePeriodRunning):
        dl.delete(SYSTEM, T0 + days(30) - timedelta(seconds=1))
    dl.delete(SYSTEM, T0 + days(30))
    assert then(dl) == [("Deleted", {"released_address": "duty-team@org.cjsm.net"})]
    with pytest.raises(AlreadySo):
        dl.delete(SYSTEM, T0 + days(31))
    with pytest.raises(DistributionListDeleted):
        dl.restore(ADMIN, T0 + days(31))


def test_a_deleted_list_is_restored_with_its_address_and_members_within_30_days_only() -> None:
    history = created().event("MemberAdded", user_id=MEMBER).event("Removed", restorable_until=T0 + days(30))
    with pytest.raises(UndeletePeriodOver):
        history.aggregate().restore(ADMIN, T0 + days(30))
    dl = history.aggregate()
    dl.restore(ADMIN, T0 + days(29))
    assert then(dl) == [("Restored", {"address": "duty-team@org.cjsm.net"})]
    assert dl.members == [str(MEMBER)] and not dl.removed
    with pytest.raises(AlreadySo):
        dl.restore(ADMIN, T0 + days(29))
    with pytest.raises(UndeletePeriodRunning):
        created().aggregate().delete(SYSTEM, T0)  # never removed: no undo period has run


def test_a_list_changes_address_once_and_not_while_deleted() -> None:
    dl = created().aggregate()
    dl.change_address("night-team@org.cjsm.net", ADMIN, T0)
    assert then(dl) == [("AddressChanged", {"new_address": "night-team@org.cjsm.net", "old_address": "duty-team@org.cjsm.net"})]
    with pytest.raises(AlreadySo):
        dl.change_address("night-team@org.cjsm.net", ADMIN, T0)
    removed = created().event("Removed", restorable_until=T0 + days(30)).aggregate()
    with pytest.raises(DistributionListDeleted):
        removed.change_address("night-team@org.cjsm.net", ADMIN, T0)