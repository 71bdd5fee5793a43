"""ADR 64 in the console: another organisation's ex-directory user is not named
to an administrator, whether asked for by username or by a tampered id (plain HTTP)."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from console_kit import Server, error_summary, organisation_with_users, post_form, signed_in_client
from testkit import PASSWORD


def _kent_and_essexs_ex_directory_hal(server: Server) -> tuple[Any, Any]:
    """Kent with its administrator; Essex's user Hal Hidden, marked ex-directory."""
    kent = organisation_with_users(server, "kent", [])
    essex = organisation_with_users(server, "essex", [("Hal", "Hidden")])
    (hal,) = essex.users
    server.app.change_statuses(essex.org.admin, server.clock.now(), [hal.user_id], "mark_ex_directory")
    return kent, hal


def test_adding_another_organisations_ex_directory_user_by_username_is_refused_as_an_unknown_username_is(server: Server) -> None:
    kent, hal = _kent_and_essexs_ex_directory_hal(server)
    list_id, _ = server.app.create_distribution_list(kent.org.admin, server.clock.now(), kent.org.id, "Duty team", "duty")
    page = f"/console/distribution-lists/{list_id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        hidden = post_form(client, page, {"username": hal.username})
        unknown = post_form(client, page, {"username": "no-such-user"})
    assert hidden.status_code == unknown.status_code == 422
    assert error_summary(hidden.text) == error_summary(unknown.text)
    assert [message for _, message in error_summary(hidden.text)] == ["Enter the username of an existing user"]
    assert str(hal.user_id) not in hidden.text and "Hidden" not in hidden.text


def test_revoking_a_permission_of_a_user_who_holds_none_names_no_one(server: Server) -> None:
    kent, hal = _kent_and_essexs_ex_directory_hal(server)
    mailbox_id, _ = server.app.create_group_mailbox(kent.org.admin, server.clock.now(), kent.org.id, "Custody suite", "custody")
    page = f"/console/group-mailboxes/{mailbox_id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        asked = post_form(client, f"{page}/permissions", {"revoke_user": str(hal.user_id), "revoke_permission": "read"}, page=page)
    assert asked.status_code == 404
    assert "Hal" not in asked.text and hal.username not in asked.text


def test_granting_a_permission_to_another_organisations_user_by_username_is_refused_as_an_unknown_username_is(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    essex = organisation_with_users(server, "essex", [("Lou", "Listed")])
    (lou,) = essex.users
    mailbox_id, _ = server.app.create_group_mailbox(kent.org.admin, server.clock.now(), kent.org.id, "Custody suite", "custody")
    page = f"/console/group-mailboxes/{mailbox_id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        elsewhere = post_form(client, f"{page}/permissions", {"username": lou.username, "permission": "read"}, page=page)
        unknown = post_form(client, f"{page}/permissions", {"username": "no-such-user", "permission": "read"}, page=page)
    assert elsewhere.status_code == unknown.status_code
    assert error_summary(elsewhere.text) == error_summary(unknown.text)
    assert str(lou.user_id) not in elsewhere.text


def test_appointing_another_organisations_user_by_username_is_refused_as_an_unknown_username_is(server: Server) -> None:
    kent, hal = _kent_and_essexs_ex_directory_hal(server)
    page = f"/console/organisations/{kent.org.id}"
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        elsewhere = post_form(client, f"{page}/administrators", {"username": hal.username}, page=page)
        unknown = post_form(client, f"{page}/administrators", {"username": "no-such-user"}, page=page)
    assert elsewhere.status_code == unknown.status_code == 422
    assert error_summary(elsewhere.text) == error_summary(unknown.text)
    assert str(hal.user_id) not in elsewhere.text
