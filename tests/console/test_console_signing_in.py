"""Anyone: signing in, first-log-in activation, the header, error summaries,
account pages and signing out, in Chromium."""

from __future__ import annotations

from console_kit import NEW_PASSWORD, Browser, activate_in_browser

def test_a_wrong_password_is_reported_in_an_error_summary_linking_to_the_field(browser: Browser) -> None:
    browser.sign_in(browser.server.service_username, "not the password")
    assert browser.heading == "Sign in"
    assert browser.errors == ["Enter a correct username and password"]
    assert browser.error_links == ["#username"]
    assert browser.page.title().startswith("Error: ")
    browser.page.locator(".govuk-error-summary__list a").first.click()
    assert browser.page.evaluate("document.activeElement.id") == "username"


def test_an_empty_sign_in_names_both_fields(browser: Browser) -> None:
    browser.goto("/console/sign-in").press("Sign in")
    assert browser.errors == ["Enter your username", "Enter your password"]


def test_first_log_in_asks_for_a_password_and_three_answers_then_shows_the_home_page(browser: Browser) -> None:
    browser.sign_in(browser.server.service_username, browser.server.service_one_time_password)
    assert browser.heading == "Set up your account"
    browser.goto("/console/account")  # nothing else is reachable before activation
    assert browser.heading == "Set up your account"
    browser.fill("New password", "short").fill("Confirm new password", "something else").press("Save and continue")
    assert browser.errors == [
        "The new password must be at least 10 characters",
        "Enter the same password twice",
        "Choose security question 1",
        "Choose security question 2",
        "Choose security question 3",
    ]
    assert browser.error_links == ["#new_password", "#confirm_password", "#question_1", "#question_2", "#question_3"]
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    assert "Your account is ready" in browser.banner
    assert browser.page.get_by_test_id("signed-in-person").inner_text().startswith("Service Administrator")
    assert browser.page.get_by_role("navigation", name="Menu").get_by_role("link", name="Organisations", exact=True).count() == 1


def test_a_person_changes_their_password_and_signs_out(browser: Browser) -> None:
    activate_in_browser(browser, browser.server.service_username, browser.server.service_one_time_password)
    browser.goto("/console/account").follow("Change your password")
    browser.fill("Current password", "wrong wrong wrong").fill("New password", "another long password 7").fill("Confirm new password", "another long password 7").press("Change password")
    assert browser.errors == ["Your current password is not correct"]
    assert browser.error_links == ["#current_password"]
    browser.fill("Current password", NEW_PASSWORD).fill("New password", "another long password 7").fill("Confirm new password", "another long password 7").press("Change password")
    assert browser.banner.strip().endswith("Your password has been changed")
    browser.sign_out()
    assert browser.heading == "Sign in"
    browser.goto("/console/account")
    assert browser.heading == "Sign in"  # the session ended
    browser.sign_in(browser.server.service_username, "another long password 7")
    assert browser.heading == "Secure eMail administration"


def test_signing_in_works_by_keyboard_alone_starting_from_the_skip_link(browser: Browser) -> None:
    browser.goto("/console/sign-in")
    browser.page.keyboard.press("Tab")
    assert browser.page.evaluate("document.activeElement.textContent") == "Skip to main content"
    order = []
    for _ in range(4):
        browser.page.keyboard.press("Tab")
        order.append(browser.page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert order == ["Secure eMail administration", "username", "password", "Sign in"]
    browser.page.keyboard.press("Shift+Tab")
    browser.page.keyboard.press("Shift+Tab")
    browser.page.keyboard.type(browser.server.service_username)
    browser.page.keyboard.press("Tab")
    browser.page.keyboard.type(browser.server.service_one_time_password)
    with browser.page.expect_navigation():
        browser.page.keyboard.press("Enter")
    assert browser.checked().heading == "Set up your account"


def test_an_error_summary_takes_the_focus(browser: Browser) -> None:
    browser.goto("/console/sign-in").press("Sign in")
    assert browser.page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
