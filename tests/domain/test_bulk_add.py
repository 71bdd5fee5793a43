"""Adding users, one or up to 500 at once: stored whole or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.claims import AddressClaim, UsernameClaim
from domain.errors import BulkValidationFailed, InvalidValue
from domain.mailbox import Mailbox
from domain.naming import MAX_PERSON_NAME
from domain.user import Status, User
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import credentials_table
from testkit import Org, event_count, last_notification_id


def credential_rows(app: SemaApplication) -> int:
    with app.transaction(commit=False) as session:
        return session.execute(select(func.count()).select_from(credentials_table)).scalar_one()


def test_added_users_are_reloaded_from_the_store_with_their_mailbox_and_claims(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    rows = [NewUser("Jane", "Doe", directory={"job_title": "Clerk"}), NewUser("John", "Smith", ex_directory=True)]
    created = app.add_users(organisation.admin, clock.now(), organisation.id, rows)
    for row, new in zip(rows, created):
        user = app.repository.get(new.user_id)
        assert isinstance(user, User)
        assert (user.first_name, user.last_name, user.username, user.primary_address) == (row.first_name, row.last_name, new.username, new.address)
        assert (user.organisation_id, user.directory, user.ex_directory, user.status) == (organisation.id, row.directory, row.ex_directory, Status.PENDING_ACTIVATION)
        mailbox = app.repository.get(new.mailbox_id)
        assert isinstance(mailbox, Mailbox) and mailbox.owner_id == new.user_id
        assert app.repository.get(AddressClaim.id_for(new.address)).owner_id == new.user_id
        assert app.repository.get(UsernameClaim.id_for(new.username)).owner_id == new.user_id


def test_every_stored_event_records_the_actor_the_request_and_the_commands_time(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    clock.advance(timedelta(hours=3))
    actor = replace(organisation.admin, request_id="request-42")
    before = last_notification_id(app)
    app.add_users(actor, clock.now(), organisation.id, [NewUser("Jane", "Doe"), NewUser("Jane", "Doe")])
    notifications = app.recorder.select_notifications(start=before + 1, limit=1000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    assert len(events) == 2 * 5  # per user: registered, one-time password issued, mailbox, address and username claims
    for event in events:
        assert (event.actor_id, event.actor_role, event.request_id, event.timestamp) == (actor.id, "organisation_administrator", "request-42", clock.now())


def test_a_bulk_add_with_invalid_rows_creates_nothing_and_names_each_row_and_field(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    rows = [
        NewUser("Jane", "Doe"),
        NewUser("!!!", "Smith"),
        NewUser("Ann", "Other"),
        NewUser("Bob", "Jones", directory={"shoe_size": "9"}),
        NewUser("Cat", "Lee", original_address="cat@police.gov.uk"),
    ]
    events, credentials = event_count(app), credential_rows(app)
    with pytest.raises(BulkValidationFailed) as refused:
        app.add_users(organisation.admin, clock.now(), organisation.id, rows)
    assert [(e["row"], e["field"]) for e in refused.value.errors] == [(2, "first_name"), (4, "directory.shoe_size"), (5, "original_address")]
    assert "nothing was created" in refused.value.message
    assert (event_count(app), credential_rows(app)) == (events, credentials)
    assert app.find_user_id("jane.doe") is None


def test_a_bulk_add_with_a_name_over_the_limit_names_its_row_and_field_and_creates_nothing(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    too_long = "x" * (MAX_PERSON_NAME + 1)
    rows = [NewUser("Jane", "Doe"), NewUser(too_long, too_long), NewUser("Ann", too_long)]
    events = event_count(app)
    with pytest.raises(BulkValidationFailed) as refused:
        app.add_users(organisation.admin, clock.now(), organisation.id, rows)
    assert [(e["row"], e["field"]) for e in refused.value.errors] == [(2, "first_name"), (2, "last_name"), (3, "last_name")]
    assert {e["message"] for e in refused.value.errors} == {f"must be at most {MAX_PERSON_NAME} characters"}
    assert event_count(app) == events
    assert app.find_user_id("jane.doe") is None


def test_a_dry_run_reports_the_addresses_without_creating_anything(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    rows = [NewUser("Jane", "Doe"), NewUser("Jane", "Doe")]
    events, credentials = event_count(app), credential_rows(app)
    planned = app.add_users(organisation.admin, clock.now(), organisation.id, rows, dry_run=True)
    assert [(p.username, p.address, p.one_time_password) for p in planned] == [
        ("jane.doe", "jane.doe@org.cjsm.net", None),
        ("jane.doe2", "jane.doe2@org.cjsm.net", None),
    ]
    assert (event_count(app), credential_rows(app)) == (events, credentials)
    created = app.add_users(organisation.admin, clock.now(), organisation.id, rows)
    assert [c.address for c in created] == [p.address for p in planned]


def test_a_dry_run_with_an_invalid_row_reports_it_the_same_way(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    with pytest.raises(BulkValidationFailed) as refused:
        app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe"), NewUser("Jane", " ")], dry_run=True)
    assert [(e["row"], e["field"]) for e in refused.value.errors] == [(2, "last_name")]


def test_checking_rows_names_the_domains_faults_by_the_rows_sent_and_creates_nothing(app: SemaApplication, clock: SettableClock, smtp_organisation: Org) -> None:
    """A row the caller refused already (``None``) keeps its number and is not checked."""
    rows = [
        NewUser("Jane", "Doe", original_address="jane@police.gov.uk"),
        None,
        NewUser("John", "Smith", original_address="john@elsewhere.org"),
        NewUser("Janet", "Doe", original_address="JANE@police.gov.uk"),
    ]
    events = event_count(app)
    problems = app.check_users(smtp_organisation.admin, smtp_organisation.id, rows)
    assert [(p["row"], p["field"]) for p in problems] == [(3, "original_address"), (4, "original_address")]
    assert problems[1]["message"] == "jane@police.gov.uk.cjsm.net is also in row 1"
    assert event_count(app) == events


def test_more_than_500_users_at_once_are_refused(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    events = event_count(app)
    with pytest.raises(InvalidValue) as refused:
        app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser(f"First{i}", "Last") for i in range(501)])
    assert refused.value.field == "users"
    assert "500" in refused.value.message
    assert event_count(app) == events


def test_500_users_are_added_in_one_request(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    created = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Peter", "Pan") for _ in range(500)])
    assert len({c.address for c in created}) == 500
    assert created[-1].address == "peter.pan500@org.cjsm.net"
    assert app.repository.get(created[-1].user_id).username == "peter.pan500"


def test_a_failure_while_saving_leaves_no_user_event_or_credential_behind(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    """Events, claims and one-time-password rows commit together or not at all."""

    def fail_after_recording(session: object, recordings: object) -> None:
        raise RuntimeError("the disk is full")

    events, credentials = event_count(app), credential_rows(app)
    app.inline_processors.append(fail_after_recording)
    with pytest.raises(RuntimeError):
        app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe") for _ in range(20)])
    app.inline_processors.remove(fail_after_recording)
    assert (event_count(app), credential_rows(app)) == (events, credentials)
    assert app.find_user_id("jane.doe") is None
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    assert jane.address == "jane.doe@org.cjsm.net"
