"""The inactive-mailbox alert: six months unused, one alert per quiet period,
to the organisation's administrators."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings, strategies as st

from domain.actors import Actor, Role
from domain.claims import UsernameClaim
from domain.errors import NoOneToAlert
from policies.runner import PolicyRunner
from testkit import Org, SERVICE_ADMIN, START, add_user, event_names, organisation_with_admin, outbox_rows
from sema.application import CreatedUser, SemaApplication

SIX_MONTHS = relativedelta(months=6)


@pytest.fixture
def org(app: SemaApplication) -> Org:
    return organisation_with_admin(app, START, "org")


@pytest.fixture
def runner(app: SemaApplication) -> PolicyRunner:
    return PolicyRunner(app)


def owner_actor(user: CreatedUser, org: Org) -> Actor:
    return Actor(id=str(user.user_id), role=Role.USER, organisation_id=org.id)


def alerts_for(app: SemaApplication, user: CreatedUser) -> int:
    assert user.mailbox_id is not None
    return event_names(app, user.mailbox_id).count("Mailbox.InactivityAlertSent")


def alert_rows_for(app: SemaApplication, user: CreatedUser) -> list[dict]:
    return [r for r in outbox_rows(app) if r["reason"] == "inactivity_alert" and user.address in r["subject"]]


steps = st.lists(
    st.tuples(
        st.one_of(st.integers(1, 60).map(lambda h: timedelta(hours=h)), st.integers(1, 250).map(lambda d: timedelta(days=d))),
        st.sampled_from(["use", "tick", "tick twice", "use and tick", "nothing"]),
    ),
    min_size=1,
    max_size=14,
)


class QuietPeriods:
    """The rule, as plain arithmetic: a pass alerts when six months have gone
    by since the last use and this quiet period has had no alert yet."""

    def __init__(self, created_at: datetime) -> None:
        self.last_used = created_at
        self.alerted_for: datetime | None = None
        self.alerts = 0

    def use(self, at: datetime) -> None:
        self.last_used = at

    def tick(self, at: datetime) -> None:
        if at >= self.last_used + SIX_MONTHS and self.alerted_for != self.last_used:
            self.alerted_for = self.last_used
            self.alerts += 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps)
def test_an_unused_mailbox_raises_one_alert_per_quiet_period_however_often_the_policy_runs(
    app: SemaApplication, org: Org, runner: PolicyRunner, steps: list[tuple[timedelta, str]]
) -> None:
    user = add_user(app, org, START, "Mo", "Quiet")
    assert user.mailbox_id is not None
    model = QuietPeriods(START)
    now = START
    for jump, action in steps:
        now += jump
        if "use" in action:
            app.record_mailbox_use(owner_actor(user, org), now, user.mailbox_id)
            model.use(now)
        for _ in range({"tick": 1, "tick twice": 2, "use and tick": 1}.get(action, 0)):
            runner.tick(now)
            model.tick(now)
    assert alerts_for(app, user) == model.alerts
    # One notice per alert to the one administrator.
    assert len(alert_rows_for(app, user)) == model.alerts


def test_no_alert_one_second_before_six_months(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Mo", "Quiet")
    runner.tick(START + SIX_MONTHS - timedelta(seconds=1))
    assert alerts_for(app, user) == 0


def test_an_alert_at_six_months_to_the_second(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Mo", "Quiet")
    runner.tick(START + SIX_MONTHS)
    assert alerts_for(app, user) == 1


def test_a_mailbox_used_after_an_alert_is_alerted_again_only_after_another_six_months(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Mo", "Quiet")
    assert user.mailbox_id is not None
    runner.tick(START + SIX_MONTHS)
    used = START + SIX_MONTHS + timedelta(days=3)
    app.record_mailbox_use(owner_actor(user, org), used, user.mailbox_id)
    runner.tick(used + SIX_MONTHS - timedelta(minutes=1))
    assert alerts_for(app, user) == 1
    runner.tick(used + SIX_MONTHS)
    assert alerts_for(app, user) == 2


def test_the_alert_goes_to_every_administrator_and_not_to_a_revoked_one(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    second = add_user(app, org, START, "Bea", "Boss")
    former = add_user(app, org, START, "Cy", "Former")
    app.appoint_administrator(SERVICE_ADMIN, START, org.id, second.user_id)
    app.appoint_administrator(SERVICE_ADMIN, START, org.id, former.user_id)
    app.revoke_administrator(SERVICE_ADMIN, START, org.id, former.user_id)
    quiet = add_user(app, org, START, "Mo", "Quiet")
    runner.tick(START + SIX_MONTHS)
    recipients = sorted(r["recipient"] for r in alert_rows_for(app, quiet))
    assert recipients == sorted([org.admin_user.address, second.address])


def test_a_group_mailbox_unused_for_six_months_is_alerted_too(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    mailbox_id, address = app.create_group_mailbox(org.admin, START, org.id, "Front desk", "front-desk")
    runner.tick(START + SIX_MONTHS)
    assert event_names(app, mailbox_id).count("Mailbox.InactivityAlertSent") == 1
    (row,) = [r for r in outbox_rows(app) if address in r["subject"]]
    assert "The group mailbox Front desk (front-desk@org.cjsm.net) in Organisation org has not been used since 05 January 2026." in row["body"]


def test_a_purged_users_mailbox_is_not_alerted(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    user = add_user(app, org, START, "Mo", "Quiet")
    app.change_statuses(org.admin, START, [user.user_id], "delete")
    runner.tick(START + timedelta(days=30))
    runner.tick(START + SIX_MONTHS)
    assert alerts_for(app, user) == 0


def test_the_service_administrators_own_mailbox_is_not_alerted_since_no_one_would_receive_it(app: SemaApplication, runner: PolicyRunner) -> None:
    bootstrapped = app.bootstrap(START)
    assert bootstrapped is not None and app.service_organisation_id() is not None
    assert app.get_organisation(app.service_organisation_id()).administrators == []
    admin_id = app.organisations.claims.owner(UsernameClaim, bootstrapped[0])
    assert admin_id is not None
    admin_mailbox = app.get_user(admin_id).mailbox_id
    assert admin_mailbox is not None
    report = runner.tick(START + SIX_MONTHS * 2)
    assert report.done["send_inactivity_alert"] == 0 and report.skipped["send_inactivity_alert"] == 0
    assert event_names(app, admin_mailbox).count("Mailbox.InactivityAlertSent") == 0
    assert [r for r in outbox_rows(app) if r["reason"] == "inactivity_alert"] == []
    with pytest.raises(NoOneToAlert):
        app.send_inactivity_alert(SERVICE_ADMIN, START + SIX_MONTHS * 2, admin_mailbox)


def test_an_organisation_whose_only_administrator_is_deleted_gets_no_alert_until_one_is_appointed(app: SemaApplication, org: Org, runner: PolicyRunner) -> None:
    quiet = add_user(app, org, START, "Mo", "Quiet")
    app.change_statuses(SERVICE_ADMIN, START, [org.admin_user.user_id], "delete")
    runner.tick(START + SIX_MONTHS)
    assert alerts_for(app, quiet) == 0
    app.appoint_administrator(SERVICE_ADMIN, START + SIX_MONTHS, org.id, quiet.user_id)
    runner.tick(START + SIX_MONTHS + timedelta(hours=1))
    assert alerts_for(app, quiet) == 1
    assert [r["recipient"] for r in alert_rows_for(app, quiet)] == [quiet.address]

