"""Editing an organisation in the console, in Chromium: a service
administrator adds and removes its mail domains (never the last one), its
administrator and the service administrator set its contact details, and an
organisation administrator appoints and revokes another administrator of
their own organisation (never the last one)."""

from __future__ import annotations

from console_kit import Browser, activate_in_browser, organisation_with_users
from testkit import PASSWORD, activate, organisation_with_admin


def test_a_service_administrator_adds_and_removes_mail_domains_but_never_the_last(browser: Browser) -> None:
    server = browser.server
    kent = organisation_with_admin(server.app, server.clock.now(), code="kent", account_type="smtp", domains=("kent.police.uk",))
    activate_in_browser(browser, server.service_username, server.service_one_time_password)
    browser.goto(f"/console/organisations/{kent.id}")
    browser.press("Remove the mail domain kent.police.uk")
    assert browser.page.url.endswith(f"/console/organisations/{kent.id}/domains")  # shown again, with the error
    assert browser.error_links == ["#domain"]
    assert "keeps at least one mail domain" in browser.errors[0]
    assert "keeps at least one mail domain" in browser.page.locator("#domain-error").inner_text()
    browser.fill("New mail domain", "not a domain").press("Add mail domain")
    assert browser.error_links == ["#domain"]
    assert browser.page.get_by_label("New mail domain", exact=True).input_value() == "not a domain"  # kept as typed
    browser.fill("New mail domain", "Kent.PNN.police.uk").press("Add mail domain")
    assert "kent.pnn.police.uk added to the mail domains of Organisation kent" in browser.banner
    assert sorted(server.app.get_organisation(kent.id).domains) == ["kent.pnn.police.uk", "kent.police.uk"]
    browser.press("Remove the mail domain kent.police.uk")  # asks first
    assert "Remove kent.police.uk from the mail domains of Organisation kent?" in browser.text()
    assert sorted(server.app.get_organisation(kent.id).domains) == ["kent.pnn.police.uk", "kent.police.uk"]
    browser.press("Remove the mail domain")
    assert "kent.police.uk removed from the mail domains of Organisation kent" in browser.banner
    assert server.app.get_organisation(kent.id).domains == ["kent.pnn.police.uk"]


def test_a_mailbox_organisation_has_no_domain_form_and_an_organisation_administrator_none_at_all(browser: Browser) -> None:
    server = browser.server
    essex = organisation_with_users(server, "essex", [])
    kent = organisation_with_admin(server.app, server.clock.now(), code="kent", account_type="smtp", domains=("kent.police.uk",))
    activate(server.app, kent.admin_user, server.clock.now())
    activate_in_browser(browser, server.service_username, server.service_one_time_password)
    browser.goto(f"/console/organisations/{essex.org.id}")
    assert "has no mail domains of its own" in browser.text()
    assert browser.page.get_by_label("New mail domain", exact=True).count() == 0
    administrator = browser.another(browser.page.context.browser).sign_in(kent.admin_user.username, PASSWORD)
    administrator.follow("Organisation")
    assert administrator.page.get_by_test_id("domains").inner_text().strip() == "kent.police.uk"  # listed, without a remove button
    assert administrator.page.get_by_label("New mail domain", exact=True).count() == 0
    response = administrator.page.request.post(f"/console/organisations/{kent.id}/domains", form={"domain": "other.police.uk"})
    assert response.status == 403  # no CSRF token, and no right either: refused before any change
    assert server.app.get_organisation(kent.id).domains == ["kent.police.uk"]


def test_an_organisation_administrator_and_the_service_administrator_set_the_contact_details(browser: Browser) -> None:
    server = browser.server
    kent = organisation_with_users(server, "kent", [])
    browser.sign_in(kent.admin_username, PASSWORD).follow("Organisation")
    browser.fill("Contact name", "Duty Inspector").fill("Contact email address", "not an address").fill("Contact telephone", "01622 690690")
    browser.press("Save contact details")
    assert browser.error_links == ["#email"]
    assert browser.page.get_by_label("Contact name", exact=True).input_value() == "Duty Inspector"  # what was typed stays
    browser.fill("Contact email address", "duty@kent.police.uk").fill("Postal address", "Sutton Road\nMaidstone ME15 9BZ").press("Save contact details")
    assert "Contact details of Organisation kent saved" in browser.banner
    contact = server.app.get_organisation(kent.org.id).contact
    assert (contact.contact_name, contact.email, contact.telephone, contact.postal_address) == ("Duty Inspector", "duty@kent.police.uk", "01622 690690", "Sutton Road\nMaidstone ME15 9BZ")
    assert "Duty Inspector, duty@kent.police.uk, 01622 690690" in browser.text()
    service = browser.another(browser.page.context.browser)
    activate_in_browser(service, server.service_username, server.service_one_time_password)
    service.goto(f"/console/organisations/{kent.org.id}").fill("Contact telephone", "").press("Save contact details")
    assert "Contact details of Organisation kent saved" in service.banner
    service.fill("Postal address", "x" * 501).press("Save contact details")
    assert service.error_links == ["#postal_address"]
    assert "postal_address-error" in str(service.page.locator("#postal_address").get_attribute("aria-describedby"))
    assert server.app.get_organisation(kent.org.id).contact.telephone is None  # left empty: cleared
    assert server.app.get_organisation(kent.org.id).contact.email == "duty@kent.police.uk"


def test_an_organisation_administrator_appoints_and_revokes_another_administrator_never_the_last(browser: Browser) -> None:
    server = browser.server
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    essex = organisation_with_users(server, "essex", [("Alan", "Turing")])
    (grace,) = kent.users
    (alan,) = essex.users
    browser.sign_in(kent.admin_username, PASSWORD).follow("Organisation")
    browser.fill("Username of a new administrator", alan.username).press("Appoint administrator")
    assert browser.errors == ["Enter the username of a user of this organisation"]  # another organisation's user: not told apart from none
    assert browser.error_links == ["#username"]
    browser.fill("Username of a new administrator", grace.username).press("Appoint administrator")
    assert f"{grace.username} is now an administrator of Organisation kent" in browser.banner
    assert grace.username in browser.page.get_by_test_id("administrators").inner_text()
    assert str(grace.user_id) in server.app.get_organisation(kent.org.id).administrators
    browser.press(f"Remove {grace.username} as administrator")  # asks first
    assert "Remove Grace Hopper as an administrator of Organisation kent?" in browser.text()
    assert str(grace.user_id) in server.app.get_organisation(kent.org.id).administrators
    browser.press("Remove administrator")
    assert "Administrator removed" in browser.banner
    assert grace.username not in browser.page.get_by_test_id("administrators").inner_text()
    browser.press(f"Remove {kent.admin_username} as administrator")  # the last one
    assert browser.error_links == ["#username"]
    assert "last administrator cannot be revoked" in browser.page.locator("#username-error").inner_text()
    assert server.app.get_organisation(kent.org.id).administrators == [str(kent.org.admin_user.user_id)]
    browser.goto(f"/console/organisations/{essex.org.id}", expect_status=404)  # another organisation's page is not shown
