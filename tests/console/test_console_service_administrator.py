"""A service administrator in the console, in Chromium: registering and
finding organisations, appointing an administrator."""

from __future__ import annotations

from console_kit import Browser, activate_in_browser, organisation_with_users


def test_a_service_administrator_registers_an_organisation_finds_it_and_appoints_its_administrator(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    browser.follow("Organisations").follow("Register an organisation")
    browser.fill("Name", "Essex Police").fill("Code", "kent").press("Register organisation")
    assert browser.error_links == ["#code"]  # the code is taken
    browser.fill("Code", "essex-police").press("Register organisation")
    assert "Essex Police registered" in browser.banner
    browser.goto("/console/organisations?q=essex")
    assert [row[0] for row in browser.table("organisations")] == ["Essex Police"]
    browser.goto("/console/organisations?q=kent").follow("Organisation kent")
    browser.fill("Username of a new administrator", grace.username).press("Appoint administrator")
    assert f"{grace.username} is now an administrator" in browser.banner
    assert grace.username in browser.page.get_by_test_id("administrators").inner_text()


def test_a_service_administrator_searches_users_of_every_organisation_or_of_one(browser: Browser) -> None:
    organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    essex = organisation_with_users(browser.server, "essex", [("Alan", "Turing")])
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    browser.goto("/console/users")
    names = {row[1] for row in browser.table("users")}
    assert {"Grace Hopper", "Alan Turing"} <= names
    browser.select("Organisation", str(essex.org.id)).press("Search")
    assert {row[1] for row in browser.table("users")} == {"Alan Turing", "Ada Admin"}


def test_a_service_administrator_registers_an_auditor_and_renames_an_organisation(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [])
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    browser.follow("Service people").press("Register")
    assert browser.errors == ["Enter a first name", "Enter a last name", "Choose the role"]
    assert browser.error_links == ["#first_name", "#last_name", "#kind"]
    browser.fill("First name", "Audrey").fill("Last name", "Auditor").tick("Auditor").press("Register")
    one_time_password = browser.page.get_by_test_id("one-time-password").inner_text().strip()
    username = browser.page.locator("dd").first.inner_text().strip()
    assert browser.server.app.log_in(username, one_time_password, browser.server.clock.now()).role.value == "auditor"
    browser.goto(f"/console/organisations/{kent.org.id}").fill("New name of the organisation", "Kent Police").press("Rename")
    assert browser.heading == "Kent Police"


def test_an_organisation_named_beyond_latin_1_is_registered_with_its_banner_and_a_bad_domain_links_to_its_field(browser: Browser) -> None:
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    browser.goto("/console/organisations/new")
    browser.fill("Name", "Łódź Police").fill("Code", "lodz-police").tick("SMTP: their own mail server")
    browser.fill("Mail domains (for SMTP and GSC)", "lodz.police.pl not_a").press("Register organisation")
    assert browser.error_links == ["#domains"]  # "domains[1]" is the form's domains field, not the code's
    browser.fill("Mail domains (for SMTP and GSC)", "lodz.police.pl").press("Register organisation")
    # The banner travels in a cookie, whose header is Latin-1: "Ł" was a 500 after the organisation was registered.
    assert browser.heading == "Łódź Police"
    assert "Łódź Police registered" in browser.banner
    browser.goto("/console/organisations?q=lodz")
    assert browser.banner == ""  # shown once
