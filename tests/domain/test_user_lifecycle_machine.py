"""The User lifecycle, run through the application service on a real SQLite
file and checked after every step against a plain-dict model.

Time advances between steps; the 30-day undelete boundary is approached on
purpose (a day before, a second before, exactly at, a second after).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from domain.claims import AddressClaim, UsernameClaim
from domain.errors import AccountLocked, AccountUnavailable, AlreadySo, InvalidCredentials, UndeletePeriodRunning, UserNotDeleted
from domain.user import Status
from projections import queries
from sema.application import NewUser
from sema.config import Settings
from testkit import PASSWORD, SERVICE_ADMIN, START, ScratchSqlite, activate, organisation_with_admin

UNDELETE = timedelta(days=30)
LOCK_AFTER = Settings.model_fields["max_failed_log_ins"].default
THROTTLED_FOR = timedelta(seconds=Settings.model_fields["log_in_longest_delay_s"].default)
STATUS_ACTIONS = ["suspend", "unsuspend", "delete", "undelete", "unlock", "mark_ex_directory", "unmark_ex_directory"]


class UserLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = ScratchSqlite()
        self.app = self.store.app
        self.now = START
        organisation = organisation_with_admin(self.app, self.now)
        self.admin = organisation.admin
        (self.user,) = self.app.add_users(self.admin, self.now, organisation.id, [NewUser("Jane", "Doe")])
        activate(self.app, self.user, self.now)
        self.model: dict[str, Any] = {
            "suspended": False,
            "locked": False,
            "failed_log_ins": 0,
            "ex_directory": False,
            "deleted_at": None,
            "undeletable_until": None,
            "purged": False,
            "version": self.app.repository.get(self.user.user_id).version,
        }

    def teardown(self) -> None:
        self.store.close()

    # ------------------------------------------------------------ the model

    @property
    def deleted(self) -> bool:
        return self.model["deleted_at"] is not None

    def expected_status(self) -> str:
        m = self.model
        if m["purged"]:
            return Status.PURGED
        if self.deleted:
            return Status.DELETED
        if m["suspended"]:
            return Status.SUSPENDED
        if m["locked"]:
            return Status.LOCKED
        return Status.ACTIVE

    def expected_outcome(self, action: str) -> tuple[str, str | None]:
        """(result, a phrase the reason must contain), and applies the change to the model."""
        m = self.model
        present = not m["purged"] and not self.deleted
        if action == "delete":
            if m["purged"] or self.deleted:
                return "already_so", None
            m["deleted_at"], m["undeletable_until"] = self.now, self.now + UNDELETE
            return "changed", None
        if action == "undelete":
            if m["purged"]:
                return "refused", "purged"
            if not self.deleted:
                return "already_so", None
            if self.now >= m["undeletable_until"]:
                return "refused", "can no longer be undeleted"
            m["deleted_at"] = m["undeletable_until"] = None
            return "changed", None
        if not present:
            return "refused", "purged" if m["purged"] else "deleted"
        flag, wanted = {
            "suspend": ("suspended", True),
            "unsuspend": ("suspended", False),
            "unlock": ("locked", False),
            "mark_ex_directory": ("ex_directory", True),
            "unmark_ex_directory": ("ex_directory", False),
        }[action]
        if m[flag] == wanted:
            return "already_so", None
        m[flag] = wanted
        if action == "unlock":
            m["failed_log_ins"] = 0
        return "changed", None

    # ---------------------------------------------------------------- rules

    @rule(by=st.sampled_from([timedelta(minutes=1), timedelta(hours=7), timedelta(days=1), timedelta(days=9), timedelta(days=29), timedelta(days=31)]))
    def time_passes(self, by: timedelta) -> None:
        self.now += by

    @precondition(lambda self: self.deleted and not self.model["purged"])
    @rule(offset=st.sampled_from([timedelta(days=-1), timedelta(seconds=-1), timedelta(0), timedelta(seconds=1), timedelta(days=1)]))
    def time_reaches_the_undelete_boundary(self, offset: timedelta) -> None:
        target = self.model["undeletable_until"] + offset
        if target >= self.now:  # time never runs backwards
            self.now = target

    @rule(action=st.sampled_from(STATUS_ACTIONS))
    def administrator_changes_status(self, action: str) -> None:
        self.change_status(action)

    # Deleting, undeleting and purging get rules of their own, enabled when they
    # would change something, so that the boundary is reached often.
    @precondition(lambda self: not self.deleted)
    @rule()
    def administrator_deletes(self) -> None:
        self.change_status("delete")

    @precondition(lambda self: self.deleted)
    @rule()
    def administrator_undeletes(self) -> None:
        self.change_status("undelete")

    def change_status(self, action: str) -> None:
        (outcome,) = self.app.change_statuses(self.admin, self.now, [self.user.user_id], action)
        result, phrase = self.expected_outcome(action)
        assert outcome.result == result, (action, outcome)
        if phrase is not None:
            assert phrase in (outcome.reason or ""), (action, outcome)
        if result == "changed":
            self.model["version"] += 1

    @precondition(lambda self: self.deleted and not self.model["purged"] and self.now >= self.model["undeletable_until"])
    @rule()
    def service_administrator_purges_after_the_undelete_period(self) -> None:
        self.service_administrator_purges()

    @rule()
    def service_administrator_purges(self) -> None:
        m = self.model
        try:
            self.app.purge_user(SERVICE_ADMIN, self.now, self.user.user_id)
        except AlreadySo:
            assert m["purged"]
        except UserNotDeleted:
            assert not m["purged"] and not self.deleted
        except UndeletePeriodRunning:
            assert not m["purged"] and self.deleted and self.now < m["undeletable_until"]
        else:
            assert self.deleted and not m["purged"] and self.now >= m["undeletable_until"]
            m["purged"] = True
            m["version"] += 1

    @rule(times=st.integers(1, LOCK_AFTER))
    def user_gives_wrong_passwords(self, times: int) -> None:
        m = self.model
        for _ in range(times):
            self.now += THROTTLED_FOR  # each guess after log-in throttling's longest wait, so it counts
            try:
                self.app.log_in(self.user.username, "not the password at all", self.now)
            except InvalidCredentials:
                pass
            else:
                raise AssertionError("a wrong password logged in")
            if m["purged"] or self.deleted or m["locked"]:
                continue  # nothing recorded: a locked account's history does not grow with guesses
            m["failed_log_ins"] += 1
            m["version"] += 1
            if m["failed_log_ins"] >= LOCK_AFTER and not m["locked"]:
                m["locked"] = True
                m["version"] += 1

    @rule()
    def user_logs_in(self) -> None:
        m = self.model
        expected: type[Exception] | None = None
        if m["purged"]:
            expected = InvalidCredentials  # the username is released
        elif m["locked"]:
            expected = InvalidCredentials  # a lock is never told, not even for the right password
        elif self.deleted or m["suspended"]:
            expected = AccountUnavailable
        self.now += THROTTLED_FOR  # after any wait log-in throttling imposed
        try:
            self.app.log_in(self.user.username, PASSWORD, self.now)
        except (InvalidCredentials, AccountUnavailable, AccountLocked) as error:
            assert expected is not None and type(error) is expected, (expected, error)
        else:
            assert expected is None
            m["failed_log_ins"] = 0
            m["version"] += 1

    # ----------------------------------------------------------- invariants

    @invariant()
    def reloaded_user_matches_the_model(self) -> None:
        user = self.app.repository.get(self.user.user_id)
        m = self.model
        assert user.version == m["version"]
        assert user.status == self.expected_status()
        assert user.suspended == m["suspended"]
        assert user.locked == m["locked"]
        assert user.failed_log_ins == m["failed_log_ins"]
        assert user.ex_directory == m["ex_directory"]
        assert user.purged == m["purged"]
        if not m["purged"]:
            assert user.deleted_at == m["deleted_at"]
            assert user.undeletable_until == m["undeletable_until"]

    @invariant()
    def read_models_agree_with_the_model(self) -> None:
        """Administrators' search shows the status; mail to the address is delivered or returned with the reason."""
        m = self.model
        with self.app.transaction(commit=False) as session:
            summary = queries.get_user_summary(session, self.user.user_id)
            route = queries.route(session, self.user.address)
        if m["purged"]:
            assert summary is None
            assert (route.action, route.reason) == (queries.RETURN, queries.REASON_UNKNOWN)
            return
        assert summary is not None
        assert (summary.status, summary.suspended, summary.locked, summary.ex_directory, summary.deleted) == (
            self.expected_status(), m["suspended"], m["locked"], m["ex_directory"], self.deleted
        )
        assert summary.undeletable_until == m["undeletable_until"]
        if self.deleted:
            assert (route.action, route.reason) == (queries.RETURN, queries.REASON_DELETED)
        elif m["suspended"]:
            assert (route.action, route.reason) == (queries.RETURN, queries.REASON_SUSPENDED)
        else:
            assert (route.action, route.mailbox_id) == (queries.DELIVER, self.user.mailbox_id)

    @invariant()
    def addresses_and_username_are_held_until_purged(self) -> None:
        held = not self.model["purged"]
        assert self.app.repository.get(AddressClaim.id_for(self.user.address)).is_held == held
        assert self.app.repository.get(UsernameClaim.id_for(self.user.username)).is_held == held

    @invariant()
    def mailbox_is_purged_with_its_owner(self) -> None:
        assert self.user.mailbox_id is not None
        assert self.app.repository.get(self.user.mailbox_id).purged == self.model["purged"]


def test_user_lifecycle_follows_the_reference_model() -> None:
    run_state_machine_as_test(
        UserLifecycle,
        settings=settings(max_examples=35, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
    )
