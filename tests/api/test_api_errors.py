"""Bad input gets a problem document naming the field, never a 500."""

from __future__ import annotations

import re
import uuid

import pytest

from testkit.http import activate, add_users, organisation_administrator, register_organisation

PROBLEM = "application/problem+json"


def test_malformed_json_is_a_400_problem(client, service):
    response = service.post("/organisations", content=b'{"name": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/malformed-json")


def test_a_number_too_long_to_read_is_a_400_that_says_so(client, service):
    response = service.post("/organisations", content=b'{"name": ' + b"9" * 5000 + b"}", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-json")
    assert response.json()["detail"] == "the body has a number with more digits than any field takes"


def test_wrong_types_are_named_field_by_field(client, service):
    response = service.post("/organisations", json={"name": 7, "code": "x", "account_type": "carrier-pigeon", "domains": "nope"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "account_type", "domains"} <= fields


def test_unknown_fields_are_refused_by_name(client, service):
    response = service.post("/organisations", json={"name": "A", "code": "a", "account_type": "mailbox", "colour": "red"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "colour"


def test_unknown_keys_that_look_like_digits_are_refused_by_name(client, service):
    # "²" and "٣" are digits to str.isdigit; the first is no number to int (a 500 once).
    body = {"name": "A", "code": "a", "account_type": "mailbox", "\u00b2": {"": 1e-171}, "\u0663": [], "users": {"10": 1, "2": 2}}
    response = service.post("/organisations", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert {e["field"] for e in response.json()["errors"]} == {"\u00b2", "\u0663", "users"}


def test_a_malformed_uuid_in_the_path_names_the_path_parameter(client, service):
    response = service.put("/users/not-a-uuid/last-name", json={"last_name": "Hook"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "path.user_id", "message": "must be a UUID"}]


def test_a_huge_body_is_refused_before_it_is_read(client, service):
    response = service.post("/organisations", content=b"[" + b"1," * 2_000_000 + b"1]", headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"].endswith("/body-too-large")


def test_an_unsupported_media_type_is_a_415(client, service):
    response = service.post("/organisations", content=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


def test_an_unknown_path_is_a_404_problem(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM


def test_a_wrong_method_is_a_405_problem(client):
    response = client.put("/security-questions")
    assert response.status_code == 405 and response.headers["content-type"] == PROBLEM


def test_no_token_is_a_401_with_a_bearer_challenge(client):
    response = client.get("/me")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_a_domain_rule_violation_is_a_422_with_its_stable_type(client, service):
    register_organisation(service, "westmids")
    response = service.post("/organisations", json={"name": "Again", "code": "westmids", "account_type": "mailbox"})
    assert response.status_code == 422
    assert response.json()["type"].endswith("/organisation-code-taken")


def test_an_unknown_user_is_a_404(client, service):
    response = service.put(f"/users/{uuid.uuid4()}/last-name", json={"last_name": "Hook"})
    assert response.status_code == 404 and response.json()["type"].endswith("/not-found")


def test_every_response_carries_the_request_id_and_the_clients_apart(client):
    response = client.get("/security-questions", headers={"X-Request-Id": "req-12345678"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert response.headers["x-client-request-id"] == "req-12345678"


def test_a_deeply_nested_body_is_a_400_not_a_crash(client, service):
    response = service.post("/organisations", content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_text_a_database_cannot_store_is_refused_naming_the_field(client, service):
    org = register_organisation(service, "westmids")
    for bad in ('"Pe\\u0000ter"', '"Pe\\ud800ter"'):
        body = ('{"users": [{"first_name": ' + bad + ', "last_name": "Pan"}]}').encode()
        response = service.post(f"/organisations/{org}/users/bulk", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "users.0.first_name"


def test_a_bad_query_parameter_is_named(client, service):
    response = service.get("/users", params={"status": "sleeping"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"].startswith("query.status")


@pytest.mark.parametrize("path", ["/users", "/users/export.csv", "/directory"])
def test_search_text_given_empty_is_refused_naming_it(client, service, path):
    response = service.get(f"{path}?q=")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["query.q"])


def test_a_blank_search_box_in_the_console_still_searches_everyone(client, service):
    for page in ("/console/users?q=", "/console/organisations?q=", "/console/directory?q=&kind=user"):
        assert service.get(page).status_code == 200, page


def test_a_nul_character_in_a_query_or_path_parameter_is_refused_by_name(client, service):
    assert service.get("/directory?q=pe%00ter").json()["errors"][0]["field"] == "query.q"
    assert service.get("/routing/pe%00ter@x.cjsm.net").json()["errors"][0]["field"] == "path.address"


def test_a_role_that_may_not_call_an_operation_is_named_in_plain_english(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    refused = admin.post("/organisations", json={"name": "Mine", "code": "mine", "account_type": "mailbox"})
    assert refused.status_code == 403 and refused.json()["detail"] == "an organisation administrator may not do this"
    (person,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    user = activate(client, person["username"], person["one_time_password"])
    assert user.post("/organisations", json={"name": "Mine", "code": "mine", "account_type": "mailbox"}).json()["detail"] == "a user may not do this"
    gsc = service.post("/organisations", json={"name": "Gsc", "code": "gsc", "account_type": "gsc"})
    assert gsc.json()["errors"] == [{"field": "domains", "message": "a gsc organisation must list the mail domains it owns"}]
