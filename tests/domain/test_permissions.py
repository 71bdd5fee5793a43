"""Who may do what: organisation administrators on their own organisation only,
service administrators decide exceptional access, group mailboxes only for
mailbox organisations, auditors change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from domain.actors import Actor, Role
from domain.errors import MailboxNotFound, OrganisationNotFound, MailboxesNotHosted, PermissionDenied, UserNotFound
from domain.grants import GrantState
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from testkit import AUDITOR, Org, SERVICE_ADMIN, event_count, organisation_with_admin, user_actor


def test_an_organisation_administrator_cannot_add_users_to_another_organisation(app: SemaApplication, clock: SettableClock, organisation: Org, other_organisation: Org) -> None:
    with pytest.raises(OrganisationNotFound):
        app.add_users(organisation.admin, clock.now(), other_organisation.id, [NewUser("Jane", "Doe")])


def test_an_organisation_administrator_cannot_suspend_another_organisation(app: SemaApplication, clock: SettableClock, organisation: Org, other_organisation: Org) -> None:
    with pytest.raises(OrganisationNotFound):
        app.suspend_organisation(organisation.admin, clock.now(), other_organisation.id, "down")
    assert not app.get_organisation(other_organisation.id).suspended


def test_another_organisations_user_looks_as_if_they_did_not_exist(app: SemaApplication, clock: SettableClock, organisation: Org, other_organisation: Org) -> None:
    foreign = other_organisation.admin_user.user_id
    (outcome,) = app.change_statuses(organisation.admin, clock.now(), [foreign], "suspend")
    assert (outcome.result, outcome.reason) == ("refused", "no such user in your organisation")
    with pytest.raises(UserNotFound):
        app.change_last_name(organisation.admin, clock.now(), foreign, "Other")
    with pytest.raises(UserNotFound):
        app.issue_challenge(organisation.admin, clock.now(), foreign)
    assert not app.get_user(foreign).suspended


def test_another_organisations_mailbox_looks_as_if_it_did_not_exist(app: SemaApplication, clock: SettableClock, organisation: Org, other_organisation: Org) -> None:
    mailbox_id = other_organisation.admin_user.mailbox_id
    assert mailbox_id is not None
    with pytest.raises(MailboxNotFound):
        app.request_exceptional_access(organisation.admin, clock.now(), "mailbox_access", mailbox_id, "long illness")


def test_an_organisation_administrator_cannot_decide_exceptional_access(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    assert jane.mailbox_id is not None
    grant_id = app.request_exceptional_access(organisation.admin, clock.now(), "mailbox_access", jane.mailbox_id, "sudden departure")
    with pytest.raises(PermissionDenied):
        app.decide_exceptional_access(organisation.admin, clock.now(), "mailbox_access", jane.mailbox_id, grant_id, approve=True)
    assert app.get_mailbox(jane.mailbox_id).grant(grant_id).state == GrantState.REQUESTED


def test_a_service_administrator_decides_exceptional_access(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    assert jane.mailbox_id is not None
    grant_id = app.request_exceptional_access(organisation.admin, clock.now(), "mailbox_access", jane.mailbox_id, "sudden departure")
    app.decide_exceptional_access(SERVICE_ADMIN, clock.now(), "mailbox_access", jane.mailbox_id, grant_id, approve=True)
    grant = app.get_mailbox(jane.mailbox_id).grant(grant_id)
    assert (grant.state, grant.expires_at) == (GrantState.GRANTED, clock.now() + app.settings.exceptional_access_lifetime)


def test_only_a_service_administrator_registers_organisations_and_an_organisation_administrator_appoints_only_in_their_own(
    app: SemaApplication, clock: SettableClock, organisation: Org
) -> None:
    with pytest.raises(PermissionDenied):
        app.register_organisation(organisation.admin, clock.now(), name="Mine", code="mine", account_type="mailbox")
    other = organisation_with_admin(app, clock.now(), code="other")
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    (sam,) = app.add_users(other.admin, clock.now(), other.id, [NewUser("Sam", "Else")])
    with pytest.raises(OrganisationNotFound):
        app.appoint_administrator(organisation.admin, clock.now(), other.id, sam.user_id)
    assert not app.get_organisation(other.id).is_administrator(sam.user_id)
    app.appoint_administrator(organisation.admin, clock.now(), organisation.id, jane.user_id)
    assert app.get_organisation(organisation.id).is_administrator(jane.user_id)
    user = Actor(id=str(jane.user_id), role=Role.USER, organisation_id=organisation.id)
    with pytest.raises(PermissionDenied):
        app.revoke_administrator(user, clock.now(), organisation.id, jane.user_id)


@pytest.mark.parametrize("account_type", ["smtp", "gsc"])
def test_group_mailboxes_are_refused_for_organisations_running_their_own_mail_server(app: SemaApplication, clock: SettableClock, account_type: str) -> None:
    relaying = organisation_with_admin(app, clock.now(), code="police", account_type=account_type, domains=("police.gov.uk",))
    events = event_count(app)
    with pytest.raises(MailboxesNotHosted):
        app.create_group_mailbox(relaying.admin, clock.now(), relaying.id, "Team", "team")
    assert event_count(app) == events


def test_plain_users_administer_nothing(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane, john) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe"), NewUser("John", "Doe")])
    jane_acts = user_actor(jane, organisation.id)
    events = event_count(app)
    with pytest.raises(PermissionDenied):
        app.change_statuses(jane_acts, clock.now(), [john.user_id], "suspend")
    with pytest.raises(PermissionDenied):
        app.add_users(jane_acts, clock.now(), organisation.id, [NewUser("Ann", "Other")])
    with pytest.raises(PermissionDenied):
        app.create_distribution_list(jane_acts, clock.now(), organisation.id, "All", "all")
    assert event_count(app) == events


def auditor_attempts(app: SemaApplication, at: Any, organisation: Org, target: Any) -> list[Callable[[Actor], object]]:
    user_id, mailbox_id = target.user_id, target.mailbox_id
    return [
        lambda a: app.register_organisation(a, at, name="Audit", code="audit", account_type="mailbox"),
        lambda a: app.add_users(a, at, organisation.id, [NewUser("Ann", "Other")]),
        lambda a: app.change_statuses(a, at, [user_id], "suspend"),
        lambda a: app.change_details(a, at, [user_id], {"job_title": "Auditor"}),
        lambda a: app.change_last_name(a, at, user_id, "Changed"),
        lambda a: app.suspend_organisation(a, at, organisation.id, "audit"),
        lambda a: app.create_distribution_list(a, at, organisation.id, "All", "all"),
        lambda a: app.create_group_mailbox(a, at, organisation.id, "Team", "team"),
        lambda a: app.request_exceptional_access(a, at, "mailbox_access", mailbox_id, "curiosity"),
        lambda a: app.decide_exceptional_access(a, at, "mailbox_access", mailbox_id, uuid4(), approve=True),
        lambda a: app.purge_user(a, at, user_id),
        lambda a: app.issue_challenge(a, at, user_id),
        lambda a: app.record_mailbox_use(a, at, mailbox_id),
        lambda a: app.save_address_book_entry(a, at, "user", user_id),
    ]


def test_auditors_change_nothing(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    events = event_count(app)
    attempts = auditor_attempts(app, clock.now(), organisation, jane)
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt(AUDITOR)
    assert event_count(app) == events
