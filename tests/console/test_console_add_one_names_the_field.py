"""The console's "Add a user" ties each refused value to its own field, with the
message the JSON API gives for the same user, every fault at once; an
organisation whose users need an original address does not call it optional."""

from __future__ import annotations

import re
from contextlib import closing
from html import unescape

import httpx
import pytest

from console_kit import Server, SignedInOrganisation, error_summary, post_form, signed_in_client
from testkit import PASSWORD, activate, organisation_with_admin

ANN = {"first_name": "Ann", "last_name": "Bee"}


def _smtp_organisation(server: Server) -> SignedInOrganisation:
    at = server.clock.now()
    org = organisation_with_admin(server.app, at, code="kent", account_type="smtp", domains=("kent.police.uk",))
    activate(server.app, org.admin_user, at)
    return SignedInOrganisation(org, org.admin_user.username, [])


def _api_messages(server: Server, kent: SignedInOrganisation, body: dict[str, object]) -> list[tuple[str, str]]:
    with httpx.Client(base_url=server.url) as api:
        token = api.post("/session", json={"username": kent.admin_username, "password": PASSWORD}).json()["token"]
        answer = api.post(f"/organisations/{kent.org.id}/users", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422, answer.text
    return [(e["field"], e["message"]) for e in answer.json()["errors"]]


@pytest.mark.parametrize(
    ("form", "body", "field_id"),
    [
        ({"original_address": "bad@elsewhere.com"}, {"original_address": "bad@elsewhere.com"}, "original_address"),
        ({"original_address": ""}, {}, "original_address"),
    ],
    ids=["not of the organisation's domain", "missing"],
)
def test_a_refused_original_address_is_named_beside_its_field_in_the_apis_words(server: Server, form: dict[str, str], body: dict[str, str], field_id: str) -> None:
    kent = _smtp_organisation(server)
    [(field, message)] = _api_messages(server, kent, {**ANN, **body})
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = post_form(client, "/console/users/add", {**ANN, **form})
    assert page.status_code == 422
    assert field == "original_address"
    assert [(link, text.lower()) for link, text in error_summary(page.text)] == [(f"#{field_id}", message.lower())]
    assert re.search(rf'<p id="{field_id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ([^<]*)</p>', page.text)
    assert server.app.find_user_id("ann.bee") is None


def test_a_too_long_telephone_is_named_beside_its_field(server: Server) -> None:
    kent = _smtp_organisation(server)
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = post_form(client, "/console/users/add", {**ANN, "original_address": "ann.bee@kent.police.uk", "detail_telephone": "0" * 300})
    assert page.status_code == 422
    assert error_summary(page.text) == [("#detail_telephone", "Telephone must be 200 characters or fewer")]
    assert server.app.find_user_id("ann.bee") is None


def test_every_fault_of_the_form_is_listed_at_once(server: Server) -> None:
    kent = _smtp_organisation(server)
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = post_form(client, "/console/users/add", {**ANN, "original_address": "bad@elsewhere.com", "detail_telephone": "0" * 300})
    assert [link for link, _ in error_summary(page.text)] == ["#original_address", "#detail_telephone"]
    assert server.app.find_user_id("ann.bee") is None


def test_an_original_address_the_organisation_requires_is_not_labelled_optional(server: Server) -> None:
    kent = _smtp_organisation(server)
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = client.get("/console/users/add").text
    label = re.search(r'<label[^>]*for="original_address"[^>]*>([^<]*)</label>', page)
    assert label is not None and unescape(label.group(1)).strip() == "Original address"


def test_a_form_without_names_asks_for_both(server: Server) -> None:
    kent = _smtp_organisation(server)
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = post_form(client, "/console/users/add", {"first_name": "", "last_name": "", "original_address": "ann.bee@kent.police.uk"})
    assert error_summary(page.text) == [("#first_name", "Enter a first name"), ("#last_name", "Enter a last name")]
