"""Who reaches which console page, in Chromium: each role gets 403 on the
other roles' pages, an organisation administrator gets 404 for another
organisation's records and never sees them in a search; no page sends a
one-time password, password, security answer or letters key in any URL or
Referer, and every form carries a CSRF token (checked on every page by the kit)."""

from __future__ import annotations

from typing import Any

import httpx

from console_kit import Browser, activate_in_browser, organisation_with_users, secrets_in_urls
from domain.user import UserKind
from sema.application import NewUser
from testkit import PASSWORD, SERVICE_ADMIN, activate

ADMINISTRATORS_PAGES = ["/console/users", "/console/users/bulk-add", "/console/users/add", "/console/exceptional-access"]
SERVICE_PAGES = ["/console/organisations", "/console/organisations/new", "/console/notices"]
AUDIT_PAGES = ["/console/audit", "/console/audit/verify"]
PEOPLE_PAGES = ["/console/directory", "/console/address-book", "/console/my-group-mailboxes", "/console/my-exceptional-access"]


def _forbidden(browser: Browser, paths: list[str]) -> None:
    for path in paths:
        browser.goto(path, expect_status=403)
        assert browser.heading == "Forbidden", path


def test_a_user_gets_403_on_administrators_service_and_audit_pages(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    activate(browser.server.app, grace, browser.server.clock.now())
    browser.sign_in(grace.username, PASSWORD)
    _forbidden(browser, ADMINISTRATORS_PAGES + SERVICE_PAGES + AUDIT_PAGES + ["/console/organisation", f"/console/users/{grace.user_id}"])


def test_an_organisation_administrator_never_sees_another_organisations_records(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    essex = organisation_with_users(browser.server, "essex", [("Alan", "Turing")])
    (alan,) = essex.users
    browser.sign_in(kent.admin_username, PASSWORD)
    _forbidden(browser, SERVICE_PAGES + AUDIT_PAGES)
    browser.goto(f"/console/users/{alan.user_id}", expect_status=404)
    browser.goto(f"/console/organisations/{essex.org.id}", expect_status=404)
    browser.goto("/console/users?q=turing")
    assert browser.page.get_by_test_id("total").inner_text() == "0 users found"
    browser.goto("/console/users")
    assert "Turing" not in browser.text() and "essex" not in browser.text()
    # A forged form naming another organisation's user changes nobody and shows nobody
    browser.goto("/console/users")
    browser.page.evaluate(f"document.querySelector('input[name=user_id]').value = '{alan.user_id}'")
    browser.tick("Select Ada Admin").select("What to do to the selected users", "suspend").press("Continue")
    assert browser.errors == ["Select at least one user"]
    assert browser.server.app.get_user(alan.user_id).suspended is False


def test_an_auditor_gets_403_on_everyone_elses_pages(browser: Browser) -> None:
    app, at = browser.server.app, browser.server.clock.now()
    service_organisation = app.service_organisation_id()
    assert service_organisation is not None
    (auditor,) = app.add_users(SERVICE_ADMIN, at, service_organisation, [NewUser("Audrey", "Auditor")], kind=UserKind.AUDITOR)
    activate(app, auditor, at)
    browser.sign_in(auditor.username, PASSWORD)
    _forbidden(browser, ADMINISTRATORS_PAGES + SERVICE_PAGES + PEOPLE_PAGES)


def test_a_service_administrator_gets_403_on_an_organisation_administrators_own_pages(browser: Browser) -> None:
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    _forbidden(browser, ["/console/organisation"])


def test_a_post_without_the_sessions_csrf_token_changes_nothing(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    browser.sign_in(kent.admin_username, PASSWORD)
    cookies = {c["name"]: c["value"] for c in browser.page.context.cookies()}
    for token in ("", "0" * 64):
        response = httpx.post(
            f"{browser.server.url}/console/users/change/confirm", data={"csrf_token": token, "action": "suspend", "user_id": str(grace.user_id)}, cookies=cookies
        )
        assert response.status_code == 403
    assert browser.server.app.get_user(grace.user_id).suspended is False


def test_no_page_sends_a_password_one_time_password_answer_or_letters_key_in_a_url(browser: Browser, chromium: Any) -> None:
    kent = organisation_with_users(browser.server, "kent", [])
    administrator = browser.sign_in(kent.admin_username, PASSWORD)
    administrator.goto("/console/users/add").fill("First name", "Grace").fill("Last name", "Hopper").press("Add user")
    one_time_password = administrator.page.get_by_test_id("one-time-password").inner_text().strip()
    letters_key = str(administrator.page.locator("input[name=key]").get_attribute("value"))
    administrator.download("Download the welcome letters (PDF)", browser.server.app.settings.data_dir)
    username = administrator.page.locator("dd").first.inner_text().strip()

    grace = administrator.another(chromium)
    activate_in_browser(grace, username, one_time_password, password="Grace's own password 1906")
    grace.goto("/console/account/security-information").fill("Current password", "Grace's own password 1906")
    for slot, (question, answer) in enumerate([("first_pet", "Wobbly the cat"), ("childhood_street", "Elm Street"), ("favourite_teacher", "Mrs Noether")], start=1):
        grace.page.locator(f"#question_{slot}").select_option(question)
        grace.page.locator(f"#answer_{slot}").fill(answer)
    grace.press("Save security information")
    assert "security information has been changed" in grace.banner

    secrets = [one_time_password, letters_key, "Grace's own password 1906", "Rex the dog", "Hillcrest Primary", "Ulaanbaatar", "Wobbly the cat", "Elm Street", "Mrs Noether", PASSWORD]
    assert len(browser.requests) > 10
    assert secrets_in_urls(browser.requests, secrets) == []
