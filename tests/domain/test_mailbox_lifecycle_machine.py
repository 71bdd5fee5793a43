"""The Mailbox lifecycle (use, the six-month inactivity alert, permissions on a
group mailbox, purge with its owner), run through the application service on a
real SQLite file and checked after every step against a plain-dict model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from domain.errors import AlreadySo, MailboxNotFound, MailboxPurged, MailboxRecentlyUsed, NotAGroupMailbox, UndeletePeriodRunning
from sema.application import NewUser
from testkit import SERVICE_ADMIN, START, ScratchSqlite, organisation_with_admin, user_actor

SIX_MONTHS = relativedelta(months=6)
PERMISSIONS = ["read", "write", "mail"]
MEMBERS = [0, 1]
MAILBOXES = ["personal", "group"]


class MailboxLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = ScratchSqlite()
        self.app = self.store.app
        self.now = START
        organisation = organisation_with_admin(self.app, self.now)
        self.admin = organisation.admin
        owner, *members = self.app.add_users(
            self.admin, self.now, organisation.id, [NewUser("Owen", "Owner"), NewUser("Mia", "Member"), NewUser("Max", "Member")]
        )
        self.owner = owner
        self.owner_actor = user_actor(owner, organisation.id)
        self.members = [user_actor(m, organisation.id) for m in members]
        group_id, _ = self.app.create_group_mailbox(self.admin, self.now, organisation.id, "Team", "team")
        assert owner.mailbox_id is not None
        self.ids = {"personal": owner.mailbox_id, "group": group_id}
        self.model: dict[str, dict[str, Any]] = {
            kind: {"last_used": self.now, "alerted_for": None, "purged": False, "permissions": {}} for kind in MAILBOXES
        }
        self.owner_deleted_until = None

    def teardown(self) -> None:
        self.store.close()

    def due(self, kind: str) -> bool:
        m = self.model[kind]
        return not m["purged"] and self.now >= m["last_used"] + SIX_MONTHS and m["alerted_for"] != m["last_used"]

    # ---------------------------------------------------------------- time

    @rule(by=st.sampled_from([timedelta(hours=3), timedelta(days=1), timedelta(days=31), timedelta(days=91), timedelta(days=182), timedelta(days=200)]))
    def time_passes(self, by: timedelta) -> None:
        self.now += by

    @rule(kind=st.sampled_from(MAILBOXES), offset=st.sampled_from([timedelta(seconds=-1), timedelta(0), timedelta(seconds=1)]))
    def time_reaches_six_quiet_months(self, kind: str, offset: timedelta) -> None:
        target = self.model[kind]["last_used"] + SIX_MONTHS + offset
        if target >= self.now:  # time never runs backwards
            self.now = target

    # ----------------------------------------------------------------- use

    @rule()
    def owner_uses_their_mailbox(self) -> None:
        m = self.model["personal"]
        try:
            self.app.record_mailbox_use(self.owner_actor, self.now, self.ids["personal"])
        except MailboxPurged:
            assert m["purged"]
        else:
            assert not m["purged"]
            m["last_used"] = self.now

    @rule(member=st.sampled_from(MEMBERS))
    def member_uses_the_group_mailbox(self, member: int) -> None:
        m = self.model["group"]
        holds_any = bool(m["permissions"].get(self.members[member].id))
        try:
            self.app.record_mailbox_use(self.members[member], self.now, self.ids["group"])
        except MailboxNotFound:
            assert not holds_any
        else:
            assert holds_any
            m["last_used"] = self.now

    @rule(kind=st.sampled_from(MAILBOXES))
    def service_sends_the_inactivity_alert(self, kind: str) -> None:
        m = self.model[kind]
        due = self.due(kind)
        try:
            self.app.send_inactivity_alert(SERVICE_ADMIN, self.now, self.ids[kind])
        except AlreadySo:
            assert m["alerted_for"] == m["last_used"]
        except (MailboxRecentlyUsed, MailboxPurged):
            assert not due
        else:
            assert due
            m["alerted_for"] = m["last_used"]

    # --------------------------------------------------------- permissions

    @rule(member=st.sampled_from(MEMBERS), permission=st.sampled_from(PERMISSIONS))
    def administrator_grants_a_permission(self, member: int, permission: str) -> None:
        held = self.model["group"]["permissions"].setdefault(self.members[member].id, set())
        try:
            self.app.grant_mailbox_permission(self.admin, self.now, self.ids["group"], UUID(self.members[member].id), permission)
        except AlreadySo:
            assert permission in held
        else:
            assert permission not in held
            held.add(permission)

    @rule(member=st.sampled_from(MEMBERS), permission=st.sampled_from(PERMISSIONS))
    def administrator_revokes_a_permission(self, member: int, permission: str) -> None:
        held = self.model["group"]["permissions"].setdefault(self.members[member].id, set())
        try:
            self.app.revoke_mailbox_permission(self.admin, self.now, self.ids["group"], UUID(self.members[member].id), permission)
        except AlreadySo:
            assert permission not in held
        else:
            assert permission in held
            held.discard(permission)

    @rule(member=st.sampled_from(MEMBERS), permission=st.sampled_from(PERMISSIONS))
    def permissions_on_a_personal_mailbox_are_refused(self, member: int, permission: str) -> None:
        try:
            self.app.grant_mailbox_permission(self.admin, self.now, self.ids["personal"], UUID(self.members[member].id), permission)
        except (NotAGroupMailbox, MailboxPurged):
            pass
        else:
            raise AssertionError("a permission was granted on a personal mailbox")

    # --------------------------------------------------------------- purge

    @precondition(lambda self: self.owner_deleted_until is None)
    @rule()
    def administrator_deletes_the_owner(self) -> None:
        (outcome,) = self.app.change_statuses(self.admin, self.now, [self.owner.user_id], "delete")
        assert outcome.result == "changed"
        self.owner_deleted_until = self.now + timedelta(days=30)

    @precondition(lambda self: self.owner_deleted_until is not None and not self.model["personal"]["purged"])
    @rule()
    def service_purges_the_owner(self) -> None:
        m = self.model["personal"]
        try:
            self.app.purge_user(SERVICE_ADMIN, self.now, self.owner.user_id)
        except UndeletePeriodRunning:
            assert self.now < self.owner_deleted_until
        else:
            assert self.now >= self.owner_deleted_until
            m["purged"] = True

    # ----------------------------------------------------------- invariants

    @invariant()
    def reloaded_mailboxes_match_the_model(self) -> None:
        for kind in MAILBOXES:
            mailbox = self.app.repository.get(self.ids[kind])
            m = self.model[kind]
            assert mailbox.purged == m["purged"], kind
            assert mailbox.last_used_at == m["last_used"], kind
            assert mailbox.alerted_for_quiet_since == m["alerted_for"], kind
            assert {u: set(p) for u, p in mailbox.permissions.items()} == {u: p for u, p in m["permissions"].items() if p}, kind

    @invariant()
    def an_alert_is_due_once_per_quiet_period(self) -> None:
        for kind in MAILBOXES:
            assert self.app.repository.get(self.ids[kind]).inactivity_alert_due(self.now) == self.due(kind), kind


def test_mailbox_lifecycle_follows_the_reference_model() -> None:
    run_state_machine_as_test(
        MailboxLifecycle,
        settings=settings(max_examples=30, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
    )
