"""Destructive console actions ask first: the first POST shows a page naming
what will happen, with a warning button and a way back; nothing changes until
that page is submitted (plain HTTP)."""

from __future__ import annotations

import re
from contextlib import closing

from console_kit import Server, error_summary, organisation_with_users, post_form, service_administrator_client, signed_in_client
from projections import queries
from testkit import PASSWORD
from testkit.people import SERVICE_ADMIN, organisation_with_admin


def test_removing_an_alias_asks_first_and_removes_only_when_confirmed(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    server.app.change_last_name(kent.org.admin, server.clock.now(), grace.user_id, "Murray")
    page = f"/console/users/{grace.user_id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, f"{page}/aliases/remove", {"alias": grace.address}, page=page)
        assert asked.status_code == 200
        assert f"Remove the alias {grace.address}?" in asked.text
        assert 'name="confirmed" value="yes"' in asked.text and "govuk-button--warning" in asked.text
        assert f'href="{page}">Cancel</a>' in asked.text
        assert grace.address in server.app.get_user(grace.user_id).aliases
        done = post_form(client, f"{page}/aliases/remove", {"alias": grace.address, "confirmed": "yes"}, page=page)
    assert done.status_code == 303
    assert grace.address not in server.app.get_user(grace.user_id).aliases
    with server.app.engine.connect() as connection:
        assert queries.route(connection, grace.address).reason == queries.REASON_UNKNOWN


def test_removing_a_list_member_asks_first_and_removes_only_when_confirmed(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    list_id, _ = server.app.create_distribution_list(kent.org.admin, server.clock.now(), kent.org.id, "Duty team", "duty", [grace.user_id])
    page = f"/console/distribution-lists/{list_id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, page, {"remove": str(grace.user_id)})
        assert asked.status_code == 200
        assert "Remove Grace Hopper from Duty team?" in asked.text and "govuk-button--warning" in asked.text
        assert f'href="{page}">Cancel</a>' in asked.text
        with server.app.engine.connect() as connection:
            assert [m.user_id for m in queries.distribution_list(connection, list_id).members] == [grace.user_id]
        done = post_form(client, page, {"remove": str(grace.user_id), "confirmed": "yes"})
    assert done.status_code == 303
    with server.app.engine.connect() as connection:
        assert queries.distribution_list(connection, list_id).members == ()


def test_deleting_a_list_asks_first_and_deletes_only_when_confirmed(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    list_id, _ = server.app.create_distribution_list(kent.org.admin, server.clock.now(), kent.org.id, "Duty team", "duty")
    page = f"/console/distribution-lists/{list_id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, page, {"delete": "yes"})
        assert asked.status_code == 200
        assert "Delete the distribution list Duty team?" in asked.text and "For 30 days the list can still be restored, under Group mailboxes and lists" in asked.text
        with server.app.engine.connect() as connection:
            assert queries.distribution_list(connection, list_id) is not None
        done = post_form(client, page, {"delete": "yes", "confirmed": "yes"})
    assert done.status_code == 303
    with server.app.engine.connect() as connection:
        assert queries.distribution_list(connection, list_id) is None


def test_revoking_a_group_mailbox_permission_asks_first_and_revokes_only_when_confirmed(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    at = server.clock.now()
    mailbox_id, _ = server.app.create_group_mailbox(kent.org.admin, at, kent.org.id, "Custody suite", "custody")
    server.app.grant_mailbox_permission(kent.org.admin, at, mailbox_id, grace.user_id, "read")
    page = f"/console/group-mailboxes/{mailbox_id}"
    fields = {"revoke_user": str(grace.user_id), "revoke_permission": "read"}
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, f"{page}/permissions", fields, page=page)
        assert asked.status_code == 200
        assert "Remove read from Grace Hopper?" in asked.text and "govuk-button--warning" in asked.text
        with server.app.engine.connect() as connection:
            assert grace.user_id in queries.group_mailbox(connection, mailbox_id).permissions
        done = post_form(client, f"{page}/permissions", {**fields, "confirmed": "yes"}, page=page)
    assert done.status_code == 303
    with server.app.engine.connect() as connection:
        assert grace.user_id not in queries.group_mailbox(connection, mailbox_id).permissions


def test_an_approved_account_reset_asks_first_and_resets_only_when_confirmed(server: Server) -> None:
    from console_kit import service_administrator_client
    from testkit import activate

    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    at = server.clock.now()
    activate(server.app, grace, at)
    grant_id = server.app.request_exceptional_access(kent.org.admin, at, "user_reset", grace.user_id, "Forgot every answer")
    service_administrator_client(server).close()  # activates the service administrator
    service = server.app.log_in(server.service_username, PASSWORD, at).actor()
    server.app.decide_exceptional_access(service, at, "user_reset", grace.user_id, grant_id, True)
    path = f"/console/exceptional-access/{grant_id}/reset"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, path, {}, page="/console/exceptional-access")
        assert asked.status_code == 200
        assert f"Reset the account of Grace Hopper ({grace.username})?" in asked.text and "govuk-button--warning" in asked.text
        assert 'href="/console/exceptional-access">Cancel</a>' in asked.text
        assert not server.app.log_in(grace.username, PASSWORD, at).must_set_security_information
        done = post_form(client, path, {"confirmed": "yes"}, page="/console/exceptional-access")
    assert done.status_code == 200 and 'data-testid="one-time-password"' in done.text
    one_time_password = re.search(r'data-testid="one-time-password"[^>]*>\s*([^<\s]+)', done.text).group(1)  # type: ignore[union-attr]
    assert server.app.log_in(grace.username, one_time_password, at).must_set_security_information


def test_suspending_an_organisation_asks_first_naming_the_message_and_suspends_only_when_confirmed(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    page = f"/console/organisations/{kent.org.id}"
    message = "Closed until Monday; call 0300 123 4567"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, f"{page}/suspension", {"message": message}, page=page)
        assert asked.status_code == 200
        assert "Suspend Organisation kent?" in asked.text and message in asked.text and "govuk-button--warning" in asked.text
        assert not server.app.get_organisation(kent.org.id).suspended
        done = post_form(client, f"{page}/suspension", {"message": message, "confirmed": "yes"}, page=page)
    assert done.status_code == 303
    with server.app.engine.connect() as connection:
        route = queries.route(connection, kent.users[0].address)
    assert (route.action, route.message) == (queries.RETURN, message)


def test_a_tampered_member_or_holder_id_is_refused_as_not_found_not_a_server_error(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    at = server.clock.now()
    list_id, _ = server.app.create_distribution_list(kent.org.admin, at, kent.org.id, "Duty team", "duty")
    mailbox_id, _ = server.app.create_group_mailbox(kent.org.admin, at, kent.org.id, "Custody suite", "custody")
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        removed = post_form(client, f"/console/distribution-lists/{list_id}", {"remove": "not-an-id"})
        page = f"/console/group-mailboxes/{mailbox_id}"
        revoked = post_form(client, f"{page}/permissions", {"revoke_user": "not-an-id", "revoke_permission": "read"}, page=page)
    # The list's page again, the refusal in its error summary; the mailbox's id names no holder: its 404.
    assert removed.status_code == 422 and "user not-an-id not found" in removed.text
    assert revoked.status_code == 404


def test_removing_a_mail_domain_asks_first_and_the_last_one_is_refused_at_once(server: Server) -> None:
    kent = organisation_with_admin(server.app, server.clock.now(), "kent", account_type="smtp", domains=("kent.police.uk", "kent.pnn.police.uk"))
    page = f"/console/organisations/{kent.id}"
    with closing(service_administrator_client(server)) as client:
        asked = post_form(client, f"{page}/domains", {"remove": "kent.pnn.police.uk"}, page=page)
        assert asked.status_code == 200
        assert "Remove kent.pnn.police.uk from the mail domains of Organisation kent?" in asked.text and "govuk-button--warning" in asked.text
        assert f'href="{page}">Cancel</a>' in asked.text
        assert "kent.pnn.police.uk" in server.app.get_organisation(kent.id).domains
        done = post_form(client, f"{page}/domains", {"remove": "kent.pnn.police.uk", "confirmed": "yes"}, page=page)
        assert done.status_code == 303
        assert list(server.app.get_organisation(kent.id).domains) == ["kent.police.uk"]
        refused = post_form(client, f"{page}/domains", {"remove": "kent.police.uk"}, page=page)  # no question: it cannot be done
    assert refused.status_code == 422 and 'name="confirmed"' not in refused.text  # refused, not asked
    assert error_summary(refused.text)
    assert list(server.app.get_organisation(kent.id).domains) == ["kent.police.uk"]


def test_removing_an_administrator_asks_first_and_the_last_one_is_refused_at_once(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    at = server.clock.now()
    server.app.appoint_administrator(SERVICE_ADMIN, at, kent.org.id, grace.user_id)
    page = f"/console/organisations/{kent.org.id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, f"{page}/administrators", {"revoke": str(grace.user_id)}, page=page)
        assert asked.status_code == 200
        assert "Remove Grace Hopper as an administrator of Organisation kent?" in asked.text and "govuk-button--warning" in asked.text
        assert server.app.get_organisation(kent.org.id).is_administrator(grace.user_id)
        done = post_form(client, f"{page}/administrators", {"revoke": str(grace.user_id), "confirmed": "yes"}, page=page)
        assert done.status_code == 303
        assert not server.app.get_organisation(kent.org.id).is_administrator(grace.user_id)
        (me,) = server.app.get_organisation(kent.org.id).administrators
        refused = post_form(client, f"{page}/administrators", {"revoke": me}, page=page)
    assert refused.status_code == 422
    assert any("last administrator" in message for _, message in error_summary(refused.text))
    assert server.app.get_organisation(kent.org.id).is_administrator(me)


def test_a_tampered_address_book_entry_id_is_refused_in_a_banner_not_a_server_error(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        removed = post_form(client, "/console/address-book/remove", {"entry_id": "not-an-id"}, page="/console/address-book")
        assert removed.status_code == 303
        assert "Not removed" in client.get(removed.headers["location"]).text


def test_a_deleted_list_is_restored_from_the_groups_page_within_its_30_days_only(server: Server) -> None:
    from datetime import timedelta

    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    essex = organisation_with_users(server, "essex", [])
    (grace,) = kent.users
    at = server.clock.now()
    list_id, address = server.app.create_distribution_list(kent.org.admin, at, kent.org.id, "Duty team", "duty", [grace.user_id])
    gone_id, _ = server.app.create_distribution_list(kent.org.admin, at, kent.org.id, "Old team", "old")
    server.app.delete_distribution_list(kent.org.admin, at, list_id)
    server.app.delete_distribution_list(kent.org.admin, at - timedelta(days=31), gone_id)  # its 30 days are over
    groups = f"/console/organisations/{kent.org.id}/groups"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = client.get(groups).text
        assert "Deleted lists" in page and "Duty team" in page and address in page
        assert "Old team" not in page
        with closing(signed_in_client(server, essex.admin_username, PASSWORD)) as other:
            refused = post_form(other, f"/console/distribution-lists/{list_id}/restoration", {}, page=f"/console/organisations/{essex.org.id}/groups")
        assert refused.status_code == 404 and "Duty team" not in refused.text  # another organisation's list does not exist for them
        assert server.app.get_list(list_id).restorable_until is not None
        assert client.get(f"/console/distribution-lists/{list_id}").status_code == 404  # restored from the groups page, not edited (ADR 67)
        done = post_form(client, f"/console/distribution-lists/{list_id}/restoration", {}, page=groups)
        assert done.status_code == 303 and done.headers["location"].startswith(f"/console/distribution-lists/{list_id}")
        assert "Duty team restored" in client.get(done.headers["location"]).text
        assert "Deleted lists" not in client.get(groups).text
    with server.app.engine.connect() as connection:
        route = queries.route(connection, address)
    assert route.action == queries.EXPAND and route.members == (grace.address,)
