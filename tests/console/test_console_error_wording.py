"""The console words a refused value as GOV.UK services do, naming the thing
("Enter a name"), where the JSON API, checking the same schema, keeps
pydantic's wording for programs (plain HTTP)."""

from __future__ import annotations

import re
from contextlib import closing

import httpx

from console_kit import Server, error_summary, organisation_with_users, post_form, service_administrator_client, signed_in_client
from testkit import ANSWERS, PASSWORD

LIBRARY_WORDS = ("String should", "Field required", "Input should")


def test_registering_an_organisation_without_a_name_or_code_asks_for_them(server: Server) -> None:
    with closing(service_administrator_client(server)) as client:
        response = post_form(client, "/console/organisations/new", {"name": "", "code": "", "account_type": "mailbox"})
    assert error_summary(response.text) == [("#name", "Enter a name"), ("#code", "Enter a code")]
    assert not any(words in response.text for words in LIBRARY_WORDS)


def test_a_new_group_mailbox_without_a_name_asks_for_one(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = f"/console/organisations/{kent.org.id}/groups"
        response = post_form(client, page, {"which": "mailbox", "mailbox_name": "", "mailbox_local_part": "custody"})
    assert error_summary(response.text) == [("#mailbox_name", "Enter a name")]


def test_a_too_long_last_name_is_refused_as_the_api_refuses_it_in_words_a_person_reads(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    grace = kent.users[0]
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        response = post_form(client, f"/console/users/{grace.user_id}/last-name", {"last_name": "H" * 101}, page=f"/console/users/{grace.user_id}")
    assert error_summary(response.text) == [("#last_name", "Last name must be 100 characters or fewer")]
    assert server.app.get_user(grace.user_id).last_name == "Hopper"


def test_a_csv_row_without_a_first_name_asks_for_one(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/users/bulk-add").text).group(1)  # type: ignore[union-attr]
        csv = b"first_name,last_name,ex_directory\n,Hopper,no\nAlan,Turing,perhaps\n"
        response = client.post("/console/users/bulk-add", data={"csrf_token": token}, files={"file": ("users.csv", csv, "text/csv")})
    problems = re.findall(r'<tr class="govuk-table__row sema-row-error"><td class="govuk-table__cell">(\d*)</td><td class="govuk-table__cell">([^<]*)</td><td class="govuk-table__cell">([^<]*)</td>', response.text)
    assert problems == [("1", "first_name", "Enter a first name"), ("2", "ex_directory", "Ex-directory flag must be yes or no")]


def test_the_json_api_keeps_its_own_wording(server: Server) -> None:
    at = server.clock.now()
    server.app.complete_first_log_in(server.app.log_in(server.service_username, server.service_one_time_password, at).actor(), at, PASSWORD, ANSWERS)
    with httpx.Client(base_url=server.url) as client:
        session = client.post("/session", json={"username": server.service_username, "password": PASSWORD}).json()
        response = client.post("/organisations", json={"name": "", "code": "kent", "account_type": "mailbox"}, headers={"Authorization": f"Bearer {session['token']}"})
    assert response.status_code == 422
    assert {"field": "name", "message": "String should have at least 1 character"} in [{k: e[k] for k in ("field", "message")} for e in response.json()["errors"]]
