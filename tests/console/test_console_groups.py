"""An organisation administrator's group mailboxes and distribution lists in
Chromium: creating them, granting and removing a permission, adding a member
from another organisation, renaming and deleting a list; the routing follows. Each page links back to the organisation's groups."""

from __future__ import annotations

from contextlib import closing

from console_kit import Browser, Server, organisation_with_users, signed_in_client
from projections import queries
from testkit import PASSWORD


def test_a_group_mailbox_is_created_and_a_permission_granted_and_removed(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    browser.sign_in(kent.admin_username, PASSWORD).follow("Groups and lists")
    browser.fill("Name of the group mailbox", "Custody suite").fill("Address (the part before the @)", "custody").press("Create group mailbox")
    assert "Custody suite created: custody@kent.cjsm.net" in browser.banner
    browser.press("Grant permission")
    assert browser.errors == ["Enter the username of an existing user", "Choose the permission to grant"]
    browser.fill("Username", grace.username).tick("Read").press("Grant permission")
    assert [row[:2] + [" ".join(row[2].split())] for row in browser.table("permissions")] == [["Grace Hopper", grace.username, "Remove read from " + grace.username]]
    browser.press(f"Remove read from {grace.username}")
    assert browser.heading == "Remove read from Grace Hopper?"
    browser.press("Remove permission")
    assert browser.table("permissions") == []


def test_a_distribution_list_takes_a_member_from_another_organisation_and_mail_to_it_expands(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    essex = organisation_with_users(browser.server, "essex", [("Alan", "Turing")])
    (grace,), (alan,) = kent.users, essex.users
    browser.sign_in(kent.admin_username, PASSWORD).follow("Groups and lists")
    browser.fill("Name of the list", "Duty team").fill("List address (the part before the @)", "duty").press("Create distribution list")
    for username in (grace.username, alan.username):
        browser.fill("Add a member (username, any organisation)", username).press("Add member")
    assert sorted(row[:2] for row in browser.table("members")) == [["Alan Turing", "Organisation essex"], ["Grace Hopper", "Organisation kent"]]
    with browser.server.app.engine.connect() as connection:
        route = queries.route(connection, "duty@kent.cjsm.net")
    assert route.action == queries.EXPAND and set(route.members) == {grace.address, alan.address}
    browser.fill("New name", "Night duty team").press("Rename")
    assert browser.heading == "Night duty team"
    browser.press("Delete the list")
    assert browser.heading == "Delete the distribution list Night duty team?"
    browser.press("Delete the list")
    assert "Night duty team deleted" in browser.banner
    assert browser.table("distribution-lists") == []


def test_the_groups_page_counts_permission_holders_and_members_and_a_refused_grant_keeps_what_was_typed(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper"), ("Alan", "Turing")])
    grace, alan = kent.users
    browser.sign_in(kent.admin_username, PASSWORD).follow("Groups and lists")
    browser.fill("Name of the group mailbox", "Custody suite").fill("Address (the part before the @)", "custody").press("Create group mailbox")
    browser.fill("Username", grace.username).press("Grant permission")
    assert browser.errors == ["Choose the permission to grant"]
    assert browser.page.get_by_label("Username", exact=True).input_value() == grace.username  # not typed again
    browser.tick("Write").fill("Username", "nobody-at-all").press("Grant permission")
    assert browser.page.get_by_label("Write", exact=True).is_checked()
    for user in (grace, alan):
        browser.fill("Username", user.username).tick("Read").press("Grant permission")
    browser.follow("All group mailboxes and lists")
    browser.fill("Name of the list", "Duty team").fill("List address (the part before the @)", "duty").press("Create distribution list")
    browser.fill("Add a member (username, any organisation)", grace.username).press("Add member")
    browser.follow("Groups and lists")
    # The overview's lists query leaves out holders and members: each count was 0.
    assert browser.table("group-mailboxes") == [["Custody suite", "custody@kent.cjsm.net", "2"]]
    assert browser.table("distribution-lists") == [["Duty team", "duty@kent.cjsm.net", "1"]]


def test_a_distribution_lists_page_links_back_to_its_organisations_groups_as_a_group_mailboxs_does(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    at = server.clock.now()
    list_id, _ = server.app.create_distribution_list(kent.org.admin, at, kent.org.id, "Duty team", "duty")
    mailbox_id, _ = server.app.create_group_mailbox(kent.org.admin, at, kent.org.id, "Custody suite", "custody")
    back = f'<a class="govuk-link" href="/console/organisations/{kent.org.id}/groups">All group mailboxes and lists</a>'
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        assert back in client.get(f"/console/group-mailboxes/{mailbox_id}").text
        assert back in client.get(f"/console/distribution-lists/{list_id}").text
