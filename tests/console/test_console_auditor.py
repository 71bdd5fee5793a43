"""An auditor in the console, in Chromium: a user's history in sentences,
their state as at a moment, the ledger verified against a kept digest, and
the export downloaded."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from console_kit import Browser, organisation_with_users
from domain.user import UserKind
from sema.application import NewUser
from testkit import PASSWORD, SERVICE_ADMIN, activate


def test_an_auditor_reads_a_history_a_past_state_verifies_the_ledger_and_downloads_the_export(browser: Browser, tmp_path: Path) -> None:
    app, at = browser.server.app, browser.server.clock.now()
    kent = organisation_with_users(browser.server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    app.change_statuses(kent.org.admin, at, [grace.user_id], "suspend")
    service_organisation = app.service_organisation_id()
    assert service_organisation is not None
    (auditor,) = app.add_users(SERVICE_ADMIN, at, service_organisation, [NewUser("Audrey", "Auditor")], kind=UserKind.AUDITOR)
    activate(app, auditor, at)

    browser.sign_in(auditor.username, PASSWORD).follow("Audit")
    browser.fill("Id (or, for a user, their username)", grace.username).press("Show the history")
    sentences = browser.page.get_by_test_id("history").locator("li").all_inner_texts()
    assert "registered the user" in sentences[0]
    assert sentences[-1].endswith(f"{kent.admin_username} (organisation administrator) suspended the user")

    browser.fill("State as at (date and time, UTC)", "2020-01-01T00:00").press("Show the state as at this moment")
    assert browser.errors and "did not exist yet" in browser.errors[0]

    browser.press("Verify the ledger")
    verdict = browser.page.get_by_test_id("verification").inner_text()
    assert verdict.startswith("Verified:")
    digest = browser.page.get_by_test_id("verification").locator("strong").inner_text()
    browser.fill("A digest you kept (optional)", digest).press("Verify the ledger")
    assert "is unchanged" in browser.page.get_by_test_id("verification").inner_text()

    with browser.page.expect_download() as download:
        browser.page.get_by_role("link", name="Download the whole history (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert any(row["event_type"].endswith("Suspended") for row in rows)
