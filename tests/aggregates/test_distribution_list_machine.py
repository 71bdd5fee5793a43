"""The DistributionList lifecycle as a state machine, without a store: members,
names, addresses, deletion with its undo period and deletion for good, each
step run on the aggregate and on a plain model, compared after every step, and
the aggregate rebuilt from its events agreeing with both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from aggregate_testkit import ADMIN, ORG, SYSTEM, T0, attempted, rebuilt
from domain.base import UNDELETE_PERIOD
from domain.distribution_list import DistributionList
from domain.errors import AlreadySo, DistributionListDeleted, DomainError, UndeletePeriodOver, UndeletePeriodRunning

PEOPLE = [UUID(f"70000000-0000-0000-0000-00000000000{i}") for i in range(1, 5)]
NAMES = ["Duty team", "Night team", "  Night team ", "Custody"]
ADDRESSES = ["duty@org.cjsm.net", "night@org.cjsm.net", "custody@org.cjsm.net"]
STEPS = [timedelta(hours=1), timedelta(days=1), timedelta(days=29), UNDELETE_PERIOD - timedelta(seconds=1), timedelta(seconds=1)]


class DistributionListLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.dl = DistributionList.create(id=uuid4(), organisation_id=ORG, name="Duty team", address=ADDRESSES[0], by=ADMIN, at=T0)
        self.events: list[Any] = list(self.dl.collect_events())
        self.model: dict[str, Any] = {"name": "Duty team", "address": ADDRESSES[0], "members": [], "restorable_until": None, "deleted": False}

    def attempt(self, change: Any, expected: type[DomainError] | None) -> bool:
        return attempted(self.dl, self.events, change, expected)

    def refusal_while_gone(self) -> type[DomainError] | None:
        m = self.model
        return DistributionListDeleted if m["deleted"] or m["restorable_until"] is not None else None

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step: timedelta) -> None:
        self.now += step

    @rule(person=st.sampled_from(PEOPLE))
    def add_member(self, person: UUID) -> None:
        expected = self.refusal_while_gone() or (AlreadySo if str(person) in self.model["members"] else None)
        if self.attempt(lambda: self.dl.add_member(person, ADMIN, self.now), expected):
            self.model["members"].append(str(person))

    @rule(person=st.sampled_from(PEOPLE))
    def remove_member(self, person: UUID) -> None:
        expected = self.refusal_while_gone() or (None if str(person) in self.model["members"] else AlreadySo)
        if self.attempt(lambda: self.dl.remove_member(person, ADMIN, self.now), expected):
            self.model["members"].remove(str(person))

    @rule(name=st.sampled_from(NAMES))
    def rename(self, name: str) -> None:
        expected = self.refusal_while_gone() or (AlreadySo if name.strip() == self.model["name"] else None)
        if self.attempt(lambda: self.dl.rename(name, ADMIN, self.now), expected):
            self.model["name"] = name.strip()

    @rule(address=st.sampled_from(ADDRESSES))
    def change_address(self, address: str) -> None:
        expected = self.refusal_while_gone() or (AlreadySo if address == self.model["address"] else None)
        if self.attempt(lambda: self.dl.change_address(address, ADMIN, self.now), expected):
            self.model["address"] = address

    @rule()
    def delete(self) -> None:
        if self.attempt(lambda: self.dl.remove(ADMIN, self.now), self.refusal_while_gone()):
            self.model["restorable_until"] = self.now + UNDELETE_PERIOD

    @rule()
    def restore(self) -> None:
        m = self.model
        if m["deleted"]:
            expected: type[DomainError] | None = DistributionListDeleted
        elif m["restorable_until"] is None:
            expected = AlreadySo
        else:
            expected = UndeletePeriodOver if self.now >= m["restorable_until"] else None
        if self.attempt(lambda: self.dl.restore(ADMIN, self.now), expected):
            m["restorable_until"] = None

    @rule()
    def delete_for_good(self) -> None:
        m = self.model
        if m["deleted"]:
            expected: type[DomainError] | None = AlreadySo
        else:
            expected = None if m["restorable_until"] is not None and self.now >= m["restorable_until"] else UndeletePeriodRunning
        if self.attempt(lambda: self.dl.delete(SYSTEM, self.now), expected):
            m["deleted"], m["restorable_until"] = True, None
            assert self.events[-1].released_address == m["address"]

    @invariant()
    def the_aggregate_and_its_rebuild_agree_with_the_model(self) -> None:
        rebuild = rebuilt(self.events)
        for dl in (self.dl, rebuild):
            assert dl is not None
            state = {"name": dl.name, "address": dl.address, "members": dl.members, "restorable_until": dl.restorable_until, "deleted": dl.deleted}
            assert state == self.model
        assert rebuild.version == self.dl.version == len(self.events)


TestDistributionListLifecycle = DistributionListLifecycle.TestCase
