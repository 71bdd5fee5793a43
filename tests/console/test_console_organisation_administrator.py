"""An organisation administrator's journey in Chromium: the users search with
a status filter, tick boxes and a multiple status change through a check
step; a CSV upload with a bad row, then the result and the letters PDF;
authenticating a user by letters and resetting their password; suspending
the organisation, seen in mail routing."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from console_kit import Browser, organisation_with_users
from projections import queries
from testkit import PASSWORD, activate, add_user, letters_for, organisation_with_admin

DOCS = Path(__file__).parents[2] / "docs"  # the README shows these screenshots
PEOPLE = [("Alice", "Archer"), ("Bob", "Baker"), ("Carol", "Cooper"), ("Dan", "Dyer"), ("Erin", "Evans")]


def test_a_multiple_status_change_from_a_search_shows_the_check_step_then_each_users_outcome(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", PEOPLE)
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users")
    assert browser.page.get_by_test_id("total").inner_text() == "6 users found"  # the administrator too
    browser.fill("Name, username or address", "baker").press("Search")
    assert [row[1] for row in browser.table("users")] == ["Bob Baker"]
    browser.goto("/console/users")
    browser.tick("Select Alice Archer").tick("Select Carol Cooper").select("What to do to the selected users", "suspend").press("Continue")
    assert browser.heading == "Check your answers"
    assert [row[0] for row in browser.table("selected")] == ["Alice Archer", "Carol Cooper"]
    assert browser.server.app.get_user(setup.users[0].user_id).suspended is False  # nothing changed yet
    browser.press("Suspend 2 users")
    assert browser.heading == "What happened"
    assert [(row[0], row[2]) for row in browser.table("outcomes")] == [("Alice Archer", "changed"), ("Carol Cooper", "changed")]
    browser.goto("/console/users?status=suspended")
    assert [row[1] for row in browser.table("users")] == ["Alice Archer", "Carol Cooper"]
    browser.page.screenshot(path=str(DOCS / "console-users-search.png"), full_page=True)
    # Select all results of the search: both suspended users, unsuspended again; one of them already was, by then
    browser.tick("Select all 2 results of this search").select("What to do to the selected users", "unsuspend").press("Continue")
    browser.press("Unsuspend 2 users")
    assert [row[2] for row in browser.table("outcomes")] == ["changed", "changed"]


def test_ticking_nobody_is_an_error_linked_to_the_tick_boxes(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", PEOPLE[:2])
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users")
    browser.select("What to do to the selected users", "delete").press("Continue")
    assert browser.errors == ["Select at least one user"]
    assert browser.error_links == ["#user_id"]



def test_a_change_refused_for_a_missing_answer_keeps_the_page_the_ticks_and_the_action(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [(f"Person{i:02d}", f"Surname{i:02d}") for i in range(55)])
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users").follow("Next page")
    browser.tick("Select Person52 Surname52").tick("Select Person54 Surname54").press("Continue")
    assert browser.errors == ["Choose what to do to the selected users"]
    # The same page, its boxes ticked as they were (they were cleared, on page 1)
    assert browser.page.locator("caption").first.inner_text() == "Page 2 of 2"
    ticked = browser.page.locator("input[name=user_id]:checked").evaluate_all("boxes => boxes.map(b => b.labels[0].innerText.trim())")
    assert ticked == ["Select Person52 Surname52", "Select Person54 Surname54"]
    browser.select("What to do to the selected users", "suspend").press("Continue")
    assert browser.heading == "Check your answers"
    browser.goto("/console/users").select("What to do to the selected users", "delete").press("Continue")
    assert browser.errors == ["Select at least one user"]
    assert browser.page.get_by_label("What to do to the selected users", exact=True).input_value() == "delete"

def test_the_search_sorts_and_pages(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [(f"Person{i:02d}", f"Surname{i:02d}") for i in range(55)])
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users")
    assert browser.page.get_by_test_id("total").inner_text() == "56 users found"
    first_page = browser.table("users")
    assert len(first_page) == 50
    browser.follow("Next page")
    assert len(browser.table("users")) == 6
    browser.goto("/console/users").follow("Name")  # sorted by name already: now descending
    assert browser.table("users")[0][1] == "Person54 Surname54"


def test_a_csv_upload_with_a_bad_row_adds_nobody_then_the_corrected_file_adds_everyone_with_letters(browser: Browser, tmp_path: Path) -> None:
    setup = organisation_with_users(browser.server, "kent", [])
    bad = tmp_path / "users.csv"
    bad.write_text("first_name,last_name,telephone\nGrace,Hopper,01234 567890\n,Lovelace,\nAlan,Turing,\n")
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users/bulk-add")
    browser.page.get_by_label("CSV file of users").set_input_files(str(bad))
    browser.press("Check the file")
    assert browser.errors[0].startswith("The file has 1 problem")
    assert browser.error_links == ["#file"]
    assert browser.table("problems") == [["2", "first_name", browser.table("problems")[0][2]]]
    good = tmp_path / "fixed.csv"
    good.write_text("first_name,last_name,telephone\nGrace,Hopper,01234 567890\nAda,Lovelace,\nAlan,Turing,\n")
    browser.page.get_by_label("CSV file of users").set_input_files(str(good))
    browser.press("Check the file")
    assert [row[0] for row in browser.table("would-add")] == ["1", "2", "3"]
    assert browser.server.app.find_user_id(browser.table("would-add")[0][1]) is None  # a dry run adds nobody
    browser.press("Add 3 users")
    assert browser.heading == "Users added"
    assert "3 users added to Organisation kent" in browser.banner
    # Generated usernames and times differ every run: masked, so the picture in docs/ changes only with the page
    changing = browser.page.locator("main time, [data-testid=added] td:nth-child(2), [data-testid=added] td:nth-child(4)")
    browser.page.screenshot(path=str(DOCS / "console-bulk-add-result.png"), full_page=True, mask=[changing], mask_color="#b1b4b6")
    pdf = browser.download("Download the welcome letters (PDF)", tmp_path)
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) == 3
    page = reader.pages[1].extract_text()
    assert "Dear Ada Lovelace" in page and "One-time password:" in page


def test_an_administrator_authenticates_a_user_by_letters_and_resets_their_password(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = setup.users
    activate(browser.server.app, grace, browser.server.clock.now())
    browser.sign_in(setup.admin_username, PASSWORD).goto(f"/console/users/{grace.user_id}")
    browser.press("Ask for letters of their answers")
    count = int(browser.page.locator("input[name=count]").get_attribute("value"))
    positions = [(browser.page.locator(f"input[name=question_{i}]").get_attribute("value"), int(browser.page.locator(f"input[name=position_{i}]").get_attribute("value"))) for i in range(1, count + 1)]
    browser.press("Check the letters")
    assert browser.errors[0] == "Enter letter 1 as one letter or digit"  # the same letters are asked again
    for i, letter in enumerate(letters_for(positions), start=1):
        browser.page.locator(f"#letter_{i}").fill(letter)
    browser.press("Check the letters")
    assert browser.heading == "Passed"
    browser.press("Reset their password")
    one_time_password = browser.page.get_by_test_id("one-time-password").inner_text().strip()
    assert browser.server.app.log_in(grace.username, one_time_password, browser.server.clock.now()).must_change_password


def test_suspending_the_organisation_returns_its_mail_with_the_message(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    browser.sign_in(setup.admin_username, PASSWORD).follow("Organisation")
    assert browser.heading == "Organisation kent"
    browser.fill("Message senders will get", "Closed until Monday; call 0300 123 4567").press("Suspend the organisation")
    assert browser.heading == "Suspend Organisation kent?"
    browser.press("Suspend the organisation")
    assert "is suspended" in browser.banner
    with browser.server.app.engine.connect() as connection:
        route = queries.route(connection, setup.users[0].address)
    assert (route.action, route.reason, route.message) == (queries.RETURN, queries.REASON_ORGANISATION_SUSPENDED, "Closed until Monday; call 0300 123 4567")
    browser.press("Lift the suspension")
    with browser.server.app.engine.connect() as connection:
        assert queries.route(connection, setup.users[0].address).action == queries.DELIVER


def test_a_multiple_details_change_asks_for_the_details_then_checks_then_changes_each_user(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", PEOPLE[:3])
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users")
    browser.tick("Select Alice Archer").tick("Select Bob Baker").select("What to do to the selected users", "change_details").press("Continue")
    assert browser.heading == "Change directory details"
    browser.press("Continue")
    assert browser.errors == ["Enter at least one detail to set"]
    browser.fill("Department", "Custody").press("Continue")
    assert browser.heading == "Check your answers"
    browser.press("Change directory details 2 users")
    assert [row[2] for row in browser.table("outcomes")] == ["changed", "changed"]
    assert browser.server.app.get_user(setup.users[1].user_id).directory["department"] == "Custody"


def test_an_administrator_adds_one_user_and_sees_the_one_time_password_once(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [])
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users/add")
    browser.press("Add user")
    assert browser.errors == ["Enter a first name", "Enter a last name"]
    browser.fill("First name", "Grace").fill("Last name", "Hopper").fill("Job title (optional)", "Rear Admiral").press("Add user")
    assert browser.heading == "User added"
    one_time_password = browser.page.get_by_test_id("one-time-password").inner_text().strip()
    assert browser.server.app.log_in("grace.hopper", one_time_password, browser.server.clock.now()).must_change_password


def test_a_last_name_change_keeps_the_old_address_as_an_alias_which_can_be_removed(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = setup.users
    browser.sign_in(setup.admin_username, PASSWORD).goto(f"/console/users/{grace.user_id}")
    browser.fill("New last name", "Murray").press("Change last name")
    assert "Last name changed; the address is now grace.murray@kent.cjsm.net" in browser.banner
    assert [row[0] for row in browser.table("aliases")] == [grace.address]
    browser.press(f"Remove {grace.address}")
    assert browser.heading == f"Remove the alias {grace.address}?"
    browser.press("Remove alias")
    assert f"Alias {grace.address} removed" in browser.banner
    with browser.server.app.engine.connect() as connection:
        assert queries.route(connection, grace.address).reason == queries.REASON_UNKNOWN


def test_a_user_who_never_activated_gets_a_new_one_time_password(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = setup.users
    browser.sign_in(setup.admin_username, PASSWORD).goto(f"/console/users/{grace.user_id}")
    browser.press("Issue a new one-time password")
    one_time_password = browser.page.get_by_test_id("one-time-password").inner_text().strip()
    assert one_time_password != grace.one_time_password
    assert browser.server.app.log_in(grace.username, one_time_password, browser.server.clock.now()).must_change_password


def test_an_smtp_users_original_address_is_changed_and_so_is_their_secure_address(browser: Browser) -> None:
    app, at = browser.server.app, browser.server.clock.now()
    org = organisation_with_admin(app, at, code="kentpol", account_type="smtp", domains=("kent.police.uk",))
    activate(app, org.admin_user, at)
    grace = add_user(app, org, at, "Grace", "Hopper", original_address="grace.hopper@kent.police.uk")
    browser.sign_in(org.admin_user.username, PASSWORD).goto(f"/console/users/{grace.user_id}")
    browser.fill("New original address", "not an address").press("Change original address")
    assert browser.error_links == ["#original_address"]
    browser.fill("New original address", "g.hopper@kent.police.uk").press("Change original address")
    assert "Original address changed" in browser.banner
    assert app.get_user(grace.user_id).original_address == "g.hopper@kent.police.uk"


def test_the_select_all_box_ticks_every_user_on_the_page(browser: Browser) -> None:
    setup = organisation_with_users(browser.server, "kent", PEOPLE[:3])
    browser.sign_in(setup.admin_username, PASSWORD).goto("/console/users")
    browser.tick("Select every user on this page")
    assert browser.page.locator("input[name=user_id]:checked").count() == 4
    browser.select("What to do to the selected users", "mark_ex_directory").press("Continue")
    assert len(browser.table("selected")) == 4
