"""What every person does in the console, in Chromium: the directory and the
address book, their group mailboxes, and exceptional access to their own
mailbox, asked by their administrator and decided by the service."""

from __future__ import annotations

from typing import Any

from console_kit import Browser, activate_in_browser, organisation_with_users
from testkit import PASSWORD, SERVICE_ADMIN, activate


def test_a_user_finds_someone_in_the_directory_and_keeps_them_in_their_address_book(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    organisation_with_users(browser.server, "essex", [("Alan", "Turing")])
    (grace,) = kent.users
    activate(browser.server.app, grace, browser.server.clock.now())
    browser.sign_in(grace.username, PASSWORD).follow("Directory")
    browser.fill("Name, organisation, address, job title, telephone or department", "turing").press("Search")
    assert [row[:2] for row in browser.table("directory")] == [["Alan Turing", "Organisation essex"]]
    browser.press("Save Alan Turing in your address book")
    assert "Alan Turing saved in your address book" in browser.banner
    assert [row[0] for row in browser.table("address-book")] == ["Alan Turing"]
    browser.press("Remove Alan Turing")
    assert browser.table("address-book") == []


def test_a_user_sees_the_group_mailboxes_they_hold_permissions_on(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    app, at = browser.server.app, browser.server.clock.now()
    activate(app, grace, at)
    mailbox_id, _ = app.create_group_mailbox(kent.org.admin, at, kent.org.id, "Custody suite", "custody")
    app.grant_mailbox_permission(kent.org.admin, at, mailbox_id, grace.user_id, "read")
    browser.sign_in(grace.username, PASSWORD).follow("Group mailboxes")
    assert browser.table("group-mailboxes") == [["Custody suite", "custody@kent.cjsm.net", "read"]]


def test_exceptional_access_is_asked_by_the_administrator_approved_by_the_service_and_seen_by_the_owner(browser: Browser, chromium: Any) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    activate(browser.server.app, grace, browser.server.clock.now())
    administrator = browser
    administrator.sign_in(kent.admin_username, PASSWORD).follow("Exceptional access")
    administrator.fill("Username of the user", "nobody.here").tick("Open their mailbox").press("Send the request")
    assert administrator.errors == ["Enter the username of a user of your organisation", "Enter the reason for the request"]
    administrator.fill("Username of the user", grace.username).tick("Open their mailbox").fill("Reason", "Investigation 42: evidence in her inbox").press("Send the request")
    assert "Request sent" in administrator.banner
    assert [row[2] for row in administrator.table("grants")] == ["requested"]

    service = administrator.another(chromium)
    activate_in_browser(service, service.server.service_username, service.server.service_one_time_password)
    service.follow("Exceptional access")
    assert "Investigation 42: evidence in her inbox" in service.text()
    service.press("Refuse")
    assert service.errors == ["Enter why the request is refused"]
    service.press("Approve")
    assert "Request approved" in service.banner

    owner = administrator.another(chromium)
    owner.sign_in(grace.username, PASSWORD).follow("Access to my mailbox")
    assert [(row[0], row[2]) for row in owner.table("grants")] == [("Access to your mailbox", "granted")]


def test_an_approved_account_reset_gives_the_user_a_new_one_time_password(browser: Browser, chromium: Any) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    activate(browser.server.app, grace, browser.server.clock.now())
    administrator = browser.sign_in(kent.admin_username, PASSWORD).follow("Exceptional access")
    administrator.fill("Username of the user", grace.username).tick("Reset their account (security information cleared)").fill("Reason", "Forgot every answer").press("Send the request")
    service = administrator.another(chromium)
    activate_in_browser(service, service.server.service_username, service.server.service_one_time_password)
    service.follow("Exceptional access").press("Approve")
    administrator.goto("/console/exceptional-access").press("Reset the account")
    assert administrator.heading == f"Reset the account of Grace Hopper ({grace.username})?"
    administrator.press("Reset the account")
    one_time_password = administrator.page.get_by_test_id("one-time-password").inner_text().strip()
    result = browser.server.app.log_in(grace.username, one_time_password, browser.server.clock.now())
    assert result.must_change_password and result.must_set_security_information


def test_the_service_administrator_deciding_and_the_administrator_asking_see_whom_each_request_is_about(browser: Browser, chromium: Any) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper"), ("Alan", "Turing")])
    grace, alan = kent.users
    for user in (grace, alan):
        activate(browser.server.app, user, browser.server.clock.now())
    administrator = browser.sign_in(kent.admin_username, PASSWORD).follow("Exceptional access")
    for user in (grace, alan):
        administrator.fill("Username of the user", user.username).tick("Open their mailbox").fill("Reason", "Long illness").press("Send the request")
    assert sorted(row[4] for row in administrator.table("grants")) == [f"Alan Turing ({alan.username}), Organisation kent", f"Grace Hopper ({grace.username}), Organisation kent"]
    service = administrator.another(chromium)
    activate_in_browser(service, service.server.service_username, service.server.service_one_time_password)
    service.follow("Exceptional access")
    # Two requests with the same reason were told apart by nothing: the decision is about a person.
    requests = [str(r) for r in service.page.get_by_test_id("request").all_inner_texts()]
    assert sorted(r.split("User\n", 1)[1].split("\n", 1)[0] for r in requests) == [f"Alan Turing ({alan.username}), Organisation kent", f"Grace Hopper ({grace.username}), Organisation kent"]


def test_the_administrator_revokes_granted_access_early_and_the_owner_sees_it_revoked(browser: Browser, chromium: Any) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    app, at = browser.server.app, browser.server.clock.now()
    activate(app, grace, at)
    grant_id = app.request_exceptional_access(kent.org.admin, at, "mailbox_access", grace.mailbox_id, "Long illness")  # type: ignore[arg-type]
    app.decide_exceptional_access(SERVICE_ADMIN, at, "mailbox_access", grace.mailbox_id, grant_id, True)  # type: ignore[arg-type]
    administrator = browser.sign_in(kent.admin_username, PASSWORD).follow("Exceptional access")
    administrator.follow(f"Revoke access to the mailbox of Grace Hopper ({grace.username}), Organisation kent")
    assert administrator.heading == f"Revoke access to the mailbox of Grace Hopper ({grace.username}), Organisation kent?"
    administrator.press("Revoke access")
    assert "Revoked: access to the mailbox of Grace Hopper" in administrator.banner
    assert [row[2] for row in administrator.table("grants")] == ["revoked"]
    owner = administrator.another(chromium)
    owner.sign_in(grace.username, PASSWORD).follow("Access to my mailbox")
    assert [(row[0], row[2]) for row in owner.table("grants")] == [("Access to your mailbox", "revoked")]
