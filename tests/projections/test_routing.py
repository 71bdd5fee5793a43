"""Mail routing: one answer for every address."""

from __future__ import annotations

from datetime import timedelta

from projections import queries
from sema.application import NewUser

from testkit.read_side import read


def _route(app, address):
    return read(app, queries.route, address)


def _org(app, service_admin, clock, code="org", account_type="mailbox", domains=()):
    return app.register_organisation(service_admin, clock.now(), name=code.title(), code=code, account_type=account_type, domains=list(domains))


def test_mail_to_a_mailbox_user_is_delivered_to_their_mailbox(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    answer = _route(app, user.address.upper())
    assert (answer.action, answer.mailbox_id) == ("deliver", user.mailbox_id)


def test_mail_to_an_smtp_user_is_relayed_to_their_original_address(app, clock, service_admin):
    org = _org(app, service_admin, clock, "police", "smtp", ["police.gov.uk"])
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Jane", "Doe", original_address="jane.doe@police.gov.uk")])
    answer = _route(app, "jane.doe@police.gov.uk.cjsm.net")
    assert (answer.action, answer.relay_to) == ("relay", "jane.doe@police.gov.uk")


def test_mail_to_a_suspended_organisation_is_returned_with_its_message(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    _, list_address = app.create_distribution_list(service_admin, clock.now(), org, "Team", "team", [user.user_id])
    _, group_address = app.create_group_mailbox(service_admin, clock.now(), org, "Desk", "desk")
    app.suspend_organisation(service_admin, clock.now(), org, "our server is down until Monday")
    for address in (user.address, list_address, group_address):
        answer = _route(app, address)
        assert (answer.action, answer.reason, answer.message) == ("return", "organisation_suspended", "our server is down until Monday")


def test_mail_is_delivered_again_once_the_organisation_is_unsuspended(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.suspend_organisation(service_admin, clock.now(), org, None)
    app.unsuspend_organisation(service_admin, clock.now(), org)
    assert _route(app, user.address).action == "deliver"


def test_mail_to_a_deleted_user_is_returned_during_the_thirty_days(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.change_statuses(service_admin, clock.now(), [user.user_id], "delete")
    answer = _route(app, user.address)
    assert (answer.action, answer.reason) == ("return", "deleted")


def test_mail_to_a_purged_user_is_returned_as_unknown(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.change_statuses(service_admin, clock.now(), [user.user_id], "delete")
    app.purge_user(service_admin, clock.now() + timedelta(days=30), user.user_id)
    answer = _route(app, user.address)
    assert (answer.action, answer.reason, answer.target_id) == ("return", "unknown", None)


def test_a_purged_users_released_address_delivers_to_its_next_holder(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (old,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.change_statuses(service_admin, clock.now(), [old.user_id], "delete")
    later = clock.now() + timedelta(days=31)
    app.purge_user(service_admin, later, old.user_id)
    (new,) = app.add_users(service_admin, later, org, [NewUser("Peter", "Pan")])
    assert new.address == old.address
    assert _route(app, old.address).mailbox_id == new.mailbox_id


def test_a_list_expands_to_members_who_can_receive(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    other = _org(app, service_admin, clock, "other")
    ok, suspended, deleted = app.add_users(service_admin, clock.now(), org, [NewUser("A", "Ok"), NewUser("B", "Suspended"), NewUser("C", "Deleted")])
    (elsewhere,) = app.add_users(service_admin, clock.now(), other, [NewUser("D", "Elsewhere")])
    _, address = app.create_distribution_list(
        service_admin, clock.now(), org, "Team", "team", [ok.user_id, suspended.user_id, deleted.user_id, elsewhere.user_id]
    )
    app.change_statuses(service_admin, clock.now(), [suspended.user_id], "suspend")
    app.change_statuses(service_admin, clock.now(), [deleted.user_id], "delete")
    app.suspend_organisation(service_admin, clock.now(), other, None)
    answer = _route(app, address)
    assert (answer.action, answer.members) == ("expand", (ok.address,))


def test_a_suspended_member_receives_list_mail_again_once_unsuspended(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (member,) = app.add_users(service_admin, clock.now(), org, [NewUser("B", "Back")])
    _, address = app.create_distribution_list(service_admin, clock.now(), org, "Team", "team", [member.user_id])
    app.change_statuses(service_admin, clock.now(), [member.user_id], "suspend")
    app.change_statuses(service_admin, clock.now(), [member.user_id], "unsuspend")
    assert _route(app, address).members == (member.address,)


def test_an_old_style_alias_delivers_to_the_same_mailbox(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan", old_style_address="peterpan-org@cjsm.net")])
    assert _route(app, "peterpan-org@cjsm.net").mailbox_id == user.mailbox_id
    assert _route(app, user.address).mailbox_id == user.mailbox_id


def test_the_address_kept_after_a_marriage_still_delivers(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Wendy", "Darling")])
    new_address = app.change_last_name(service_admin, clock.now(), user.user_id, "Pan")
    assert new_address != user.address
    for address in (user.address, new_address):
        answer = _route(app, address)
        assert (answer.action, answer.mailbox_id) == ("deliver", user.mailbox_id), address


def test_a_removed_alias_no_longer_delivers(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Wendy", "Darling")])
    app.change_last_name(service_admin, clock.now(), user.user_id, "Pan")
    app.remove_alias(service_admin, clock.now(), user.user_id, user.address)
    assert _route(app, user.address).reason == "unknown"


def test_a_deleted_lists_address_is_unknown(app, clock, service_admin):
    org = _org(app, service_admin, clock)
    list_id, address = app.create_distribution_list(service_admin, clock.now(), org, "Team", "team")
    app.delete_distribution_list(service_admin, clock.now(), list_id)
    assert _route(app, address).reason == "unknown"


def test_an_empty_address_is_refused_naming_the_field(app):
    import pytest

    with pytest.raises(queries.QueryError) as error:
        _route(app, "  ")
    assert error.value.field == "address"
