"""The service's outbound notices in the console, in Chromium: a service
administrator sees each notice with its delivery state (queued, sent,
failed) and the counts per state, and filters by state; nobody else sees them."""

from __future__ import annotations

from console_kit import Browser, activate_in_browser, organisation_with_users
from policies.mailer import Mailer
from testkit import PASSWORD, SERVICE_ADMIN
from testkit.smtp import SmtpServer
from testkit.smtp_fixtures import settings, smtp_port, smtp_server  # noqa: F401  (fixtures)


def test_a_service_administrator_sees_notices_queued_sent_and_failed_with_their_counts(browser: Browser, smtp_server: SmtpServer) -> None:
    server = browser.server
    kent = organisation_with_users(server, "kent", [("Jane", "Active"), ("Bob", "Never"), ("Carl", "Later")])
    jane, bob, carl = kent.users

    def refused_request(user_id: object) -> None:  # the requesting administrator is told, by email
        at = server.clock.now()
        grant = server.app.request_exceptional_access(kent.org.admin, at, "user_reset", user_id, "forgotten answers")  # type: ignore[arg-type]
        server.app.decide_exceptional_access(SERVICE_ADMIN, at, "user_reset", user_id, grant, False, "ask again")  # type: ignore[arg-type]

    mailer = Mailer(server.app, server.clock)
    refused_request(jane.user_id)
    mailer.deliver()
    smtp_server.inbox.refuse[kent.org.admin_user.address] = "550 5.1.1 no such mailbox"
    refused_request(bob.user_id)
    mailer.deliver()
    refused_request(carl.user_id)

    activate_in_browser(browser, server.service_username, server.service_one_time_password)
    browser.follow("Notices")
    assert browser.heading == "Outbound notices"
    assert browser.table("notice-counts") == [
        ["Queued: not tried yet", "1"], ["Sending", "0"], ["Sent", "1"], ["Failing: tried again later", "0"], ["Failed: refused for good", "1"],
    ]  # fmt: skip
    rows = browser.table("notices")
    assert [row[4] for row in rows] == ["queued", "failed", "sent"]  # newest first
    assert {row[1] for row in rows} == {"exceptional access refused"}
    assert {row[2] for row in rows} == {kent.org.admin_user.address}
    assert "550" in rows[1][6] and rows[0][6] == "Not tried yet" and rows[2][6].startswith("Sent ")
    browser.tick("Failed: refused for good").press("Show notices")
    assert [row[4] for row in browser.table("notices")] == ["failed"]
    assert browser.table("notice-counts")[0] == ["Queued: not tried yet", "1"]  # the counts stay whatever the filter
    assert browser.page.get_by_label("Failed: refused for good", exact=True).is_checked()


def test_notices_are_the_service_administrators_alone(browser: Browser) -> None:
    kent = organisation_with_users(browser.server, "kent", [])
    browser.sign_in(kent.admin_username, PASSWORD)
    assert "Notices" not in [link.strip() for link in browser.page.locator("header nav a").all_inner_texts()]
    browser.goto("/console/notices", expect_status=403)
