"""Exceptional access under four eyes (issue 10, finding 4): the approver is
never the requester, and the user is told of the grant and of the reset."""

from __future__ import annotations

import pytest

from domain.actors import Actor, Role
from domain.errors import ApproverIsRequester
from sema.application import SemaApplication
from sema.clock import SettableClock
from testkit import SECOND_SERVICE_ADMIN, SERVICE_ADMIN, Org, activate, add_user, organisation_with_admin, outbox_rows


@pytest.fixture
def organisation(app: SemaApplication, clock: SettableClock) -> Org:
    return organisation_with_admin(app, clock.now(), code="org")


@pytest.mark.parametrize("kind", ["user_reset", "mailbox_access"])
def test_a_service_administrator_cannot_approve_their_own_request(app: SemaApplication, clock: SettableClock, organisation: Org, kind: str) -> None:
    jane = add_user(app, organisation, clock.now(), "Jane", "Doe")
    target = jane.user_id if kind == "user_reset" else jane.mailbox_id
    assert target is not None
    grant_id = app.request_exceptional_access(SERVICE_ADMIN, clock.now(), kind, target, "I want in")
    with pytest.raises(ApproverIsRequester):
        app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), kind, target, grant_id, approve=True)
    app.decide_exceptional_access(SECOND_SERVICE_ADMIN, clock.now(), kind, target, grant_id, approve=True)


def test_the_user_is_told_of_a_reset_granted_and_carried_out_without_the_one_time_password(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    jane = add_user(app, organisation, clock.now(), "Jane", "Doe")
    activate(app, jane, clock.now())
    grant_id = app.request_exceptional_access(organisation.admin, clock.now(), "user_reset", jane.user_id, "forgot everything")
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", jane.user_id, grant_id, approve=True)
    otp, _ = app.reset_user(organisation.admin, clock.now(), jane.user_id, grant_id)
    to_jane = {r["reason"]: r for r in outbox_rows(app) if r["recipient_user_id"] == str(jane.user_id)}
    assert {"user_reset_granted_to_user", "user_reset"} <= set(to_jane)
    assert all(otp not in r["body"] and otp.replace("-", "") not in r["body"] for r in to_jane.values())


def test_a_requester_resetting_themself_is_told_once_as_requester(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    admin_id = organisation.admin_user.user_id
    activate(app, organisation.admin_user, clock.now())
    grant_id = app.request_exceptional_access(Actor(str(admin_id), Role.ORGANISATION_ADMINISTRATOR, organisation.id), clock.now(), "user_reset", admin_id, "lost it all")
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "user_reset", admin_id, grant_id, approve=True)
    reasons = [r["reason"] for r in outbox_rows(app) if r["recipient_user_id"] == str(admin_id)]
    assert reasons.count("exceptional_access_granted") == 1 and "user_reset_granted_to_user" not in reasons
