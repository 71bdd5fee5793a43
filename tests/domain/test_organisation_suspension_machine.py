"""Organisation suspension (with an optional message for senders) and
unsuspension, by everyone who may or may not do it, run through the
application service on a real SQLite file and checked after every step
against a plain-dict model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from domain.errors import AlreadySo, InvalidValue, OrganisationNotFound, PermissionDenied
from projections import queries
from testkit import AUDITOR, SERVICE_ADMIN, START, ScratchSqlite, organisation_with_admin, user_actor

MAX_MESSAGE = 1000
ACTORS = ["own_administrator", "service_administrator", "foreign_administrator", "auditor", "plain_user"]
messages = st.one_of(
    st.none(),
    st.sampled_from(["", "   ", "Our server is down until Monday", " Our server is down until Monday ", "x" * MAX_MESSAGE, "x" * (MAX_MESSAGE + 1)]),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40),
)


class OrganisationSuspension(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = ScratchSqlite()
        self.app = self.store.app
        self.now = START
        own = organisation_with_admin(self.app, self.now, code="own")
        foreign = organisation_with_admin(self.app, self.now, code="foreign")
        self.organisation_id = own.id
        self.actors = {
            "own_administrator": own.admin,
            "service_administrator": SERVICE_ADMIN,
            "foreign_administrator": foreign.admin,
            "auditor": AUDITOR,
            "plain_user": user_actor(own.admin_user, own.id),
        }
        self.model: dict[str, Any] = {
            "suspended": False,
            "message": None,
            "version": self.app.repository.get(own.id).version,
        }

    def teardown(self) -> None:
        self.store.close()

    def refusal(self, who: str) -> type[Exception] | None:
        """Who may not act, and how they are told: a foreign administrator sees no such organisation."""
        return {"foreign_administrator": OrganisationNotFound, "auditor": PermissionDenied, "plain_user": PermissionDenied}.get(who)

    @rule(by=st.sampled_from([timedelta(minutes=5), timedelta(days=2)]))
    def time_passes(self, by: timedelta) -> None:
        self.now += by

    @rule(who=st.sampled_from(ACTORS), message=messages)
    def suspend(self, who: str, message: str | None) -> None:
        m = self.model
        normalised = (message or "").strip() or None
        expected = self.refusal(who)
        if expected is None and normalised is not None and len(normalised) > MAX_MESSAGE:
            expected = InvalidValue
        elif expected is None and m["suspended"] and m["message"] == normalised:
            expected = AlreadySo
        try:
            self.app.suspend_organisation(self.actors[who], self.now, self.organisation_id, message)
        except (OrganisationNotFound, PermissionDenied, InvalidValue, AlreadySo) as error:
            assert type(error) is expected, (who, message, error)
            if expected is InvalidValue:
                assert error.field == "message"  # type: ignore[attr-defined]
        else:
            assert expected is None, (who, message)
            m.update(suspended=True, message=normalised, version=m["version"] + 1)

    @rule(who=st.sampled_from(ACTORS))
    def unsuspend(self, who: str) -> None:
        m = self.model
        expected = self.refusal(who) or (None if m["suspended"] else AlreadySo)
        try:
            self.app.unsuspend_organisation(self.actors[who], self.now, self.organisation_id)
        except (OrganisationNotFound, PermissionDenied, AlreadySo) as error:
            assert type(error) is expected, (who, error)
        else:
            assert expected is None, who
            m.update(suspended=False, message=None, version=m["version"] + 1)

    @invariant()
    def reloaded_organisation_matches_the_model(self) -> None:
        organisation = self.app.repository.get(self.organisation_id)
        assert organisation.suspended == self.model["suspended"]
        assert organisation.suspension_message == self.model["message"]
        assert organisation.version == self.model["version"]

    @invariant()
    def read_model_agrees_with_the_model(self) -> None:
        with self.app.transaction(commit=False) as session:
            view = queries.organisation(session, self.organisation_id)
        assert view is not None
        assert (view.suspended, view.suspension_message) == (self.model["suspended"], self.model["message"])


def test_organisation_suspension_follows_the_reference_model() -> None:
    run_state_machine_as_test(
        OrganisationSuspension,
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
    )
