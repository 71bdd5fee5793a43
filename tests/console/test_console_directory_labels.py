"""Directory details are shown by their labels ("Job title"), as the forms
that set them name them, never by their keys ("job_title") (plain HTTP)."""

from __future__ import annotations

import re
from contextlib import closing

from console_kit import Server, organisation_with_users, post_form, signed_in_client
from testkit import PASSWORD


def _summary_keys(html: str) -> list[str]:
    return [key.strip() for key in re.findall(r'<dt class="govuk-summary-list__key">([^<]*)</dt>', html)]


def test_a_users_page_and_the_check_of_a_details_change_show_details_by_their_labels(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    grace = kent.users[0]
    server.app.change_details(kent.org.admin, server.clock.now(), [grace.user_id], {"job_title": "Rear admiral", "office_address": "Arlington"})
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        keys = _summary_keys(client.get(f"/console/users/{grace.user_id}").text)
        assert "Job title" in keys and "Office address" in keys
        fields = {"action": "change_details", "step": "details", "user_id": str(grace.user_id), "detail_job_title": "Commodore"}
        check = post_form(client, "/console/users/change", fields, page="/console/users").text
        assert "Job title" in _summary_keys(check)
    assert not [key for key in keys + _summary_keys(check) if "_" in key]
