"""The exceptional-access grant lifecycle as a state machine, without a store:
requested → granted or refused → used, expired or revoked, on a user (a user
reset), several requests at once, time passing across their end. Each step
runs on the aggregate and on a plain model; the aggregate rebuilt from its
events must agree with both."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from aggregate_testkit import ADMIN, ORG, OTHER_ADMIN, SERVICE_ADMIN, SYSTEM, T0, attempted, rebuilt
from domain.errors import AlreadySo, ApproverIsRequester, DomainError, GrantAlreadyRequested, GrantInAnotherState, GrantNotFound, GrantNotInForce, GrantStillRunning
from domain.grants import GrantState
from domain.user import User

GRANTED_FOR = [timedelta(hours=1), timedelta(days=2)]
STEPS = [timedelta(minutes=30), timedelta(hours=1), timedelta(days=1), timedelta(seconds=1)]
VERBS = {"grant": "granted", "refuse": "refused", "revoke": "revoked", "expire": "expired"}


class GrantLifecycle(RuleBasedStateMachine):
    grant_ids = Bundle("grant_ids")

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.user = User.register(
            id=uuid4(), organisation_id=ORG, username="jane.doe", first_name="Jane", last_name="Doe",
            primary_address="jane.doe@org.cjsm.net", one_time_password_expires_at=T0 + timedelta(days=14), by=ADMIN, at=T0,
        )  # fmt: skip
        self.events: list[Any] = list(self.user.collect_events())
        self.model: dict[UUID, dict[str, Any]] = {}

    def attempt(self, change: Any, expected: type[DomainError] | None) -> bool:
        return attempted(self.user, self.events, change, expected)

    def refusal(self, grant_id: UUID, needs: str, verb: str) -> type[DomainError] | None:
        """The aggregate's answer when the grant is not in the state the change needs."""
        grant = self.model.get(grant_id)
        if grant is None:
            return GrantNotFound
        if grant["state"] != needs:
            return AlreadySo if grant["state"] == verb else GrantInAnotherState
        return None

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step: timedelta) -> None:
        self.now += step

    @rule(target=grant_ids, by_other=st.booleans())
    def an_administrator_requests_a_reset(self, by_other: bool = False) -> UUID:
        """Refused while the same administrator's earlier request still waits for a decision (a duplicate)."""
        grant_id = uuid4()
        requester = OTHER_ADMIN if by_other else ADMIN
        waiting = any(g["state"] == GrantState.REQUESTED and g["by"] == requester.id for g in self.model.values())
        if self.attempt(lambda: self.user.request_exceptional_access(grant_id, "forgotten answers", requester, self.now), GrantAlreadyRequested if waiting else None):
            self.model[grant_id] = {"state": GrantState.REQUESTED, "expires_at": None, "by": requester.id}
        return grant_id

    @rule(target=grant_ids, lasting=st.sampled_from(GRANTED_FOR))
    def a_reset_is_requested_and_granted(self, lasting: timedelta) -> UUID:
        """The common path, so that use, expiry and revocation are reached often."""
        grant_id = self.an_administrator_requests_a_reset()
        self.it_is_granted(grant_id, lasting, by_requester=False)
        return grant_id

    @rule(grant_id=grant_ids, lasting=st.sampled_from(GRANTED_FOR), by_requester=st.booleans())
    def it_is_granted(self, grant_id: UUID, lasting: timedelta, by_requester: bool) -> None:
        requester = OTHER_ADMIN if self.model.get(grant_id, {}).get("by") == OTHER_ADMIN.id else ADMIN
        approver = requester if by_requester else SERVICE_ADMIN
        expected = self.refusal(grant_id, GrantState.REQUESTED, VERBS["grant"]) or (ApproverIsRequester if by_requester else None)
        if self.attempt(lambda: self.user.grant_exceptional_access(grant_id, self.now + lasting, approver, self.now), expected):
            self.model[grant_id].update(state=GrantState.GRANTED, expires_at=self.now + lasting)

    @rule(grant_id=grant_ids)
    def it_is_refused(self, grant_id: UUID) -> None:
        if self.attempt(lambda: self.user.refuse_exceptional_access(grant_id, "not enough", SERVICE_ADMIN, self.now), self.refusal(grant_id, GrantState.REQUESTED, VERBS["refuse"])):
            self.model[grant_id]["state"] = GrantState.REFUSED

    @rule(grant_id=grant_ids)
    def it_is_revoked(self, grant_id: UUID) -> None:
        if self.attempt(lambda: self.user.revoke_exceptional_access(grant_id, ADMIN, self.now), self.refusal(grant_id, GrantState.GRANTED, VERBS["revoke"])):
            self.model[grant_id]["state"] = GrantState.REVOKED

    @rule(grant_id=grant_ids)
    def it_expires(self, grant_id: UUID) -> None:
        expected = self.refusal(grant_id, GrantState.GRANTED, VERBS["expire"])
        if expected is None and self.now < self.model[grant_id]["expires_at"]:
            expected = GrantStillRunning
        if self.attempt(lambda: self.user.expire_exceptional_access(grant_id, SYSTEM, self.now), expected):
            self.model[grant_id]["state"] = GrantState.EXPIRED

    @rule(grant_id=grant_ids)
    def it_is_used_to_reset_the_user(self, grant_id: UUID) -> None:
        expected = GrantNotFound if grant_id not in self.model else None if self.in_force(grant_id, self.now) else GrantNotInForce
        if self.attempt(lambda: self.user.reset(grant_id, self.now + timedelta(days=14), ADMIN, self.now), expected):
            self.model[grant_id]["state"] = GrantState.USED

    def in_force(self, grant_id: UUID, at: datetime) -> bool:
        grant = self.model.get(grant_id)
        return grant is not None and grant["state"] == GrantState.GRANTED and at < grant["expires_at"]

    @invariant()
    def every_grant_is_where_the_model_says_on_the_aggregate_and_its_rebuild(self) -> None:
        rebuild = rebuilt(self.events)
        for user in (self.user, rebuild):
            assert {g: (grant.state, grant.expires_at) for g, grant in user.grants.items()} == {g: (m["state"], m["expires_at"]) for g, m in self.model.items()}
            for grant_id in self.model:
                assert user.grants[grant_id].in_force(self.now) == self.in_force(grant_id, self.now)
        # One decision per grant at most, and nothing after a grant ended.
        for grant_id in self.model:
            names = [type(e).__name__ for e in self.events if getattr(e, "grant_id", None) == grant_id]
            assert names[0] == "ExceptionalAccessRequested"
            assert sum(n in ("ExceptionalAccessGranted", "ExceptionalAccessRefused") for n in names) <= 1
            assert sum(n in ("ExceptionalAccessRevoked", "ExceptionalAccessExpired", "UserReset", "ExceptionalAccessRefused") for n in names) <= 1


TestGrantLifecycle = GrantLifecycle.TestCase
