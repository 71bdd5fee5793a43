"""Finding 12: CSRF rested on SameSite alone: a cookie-authenticated POST with no
``Content-Type`` was accepted, and a form-encoded POST reached an endpoint.
JSON bodies must say they are JSON; a cookie-authenticated unsafe request
from another site (``Origin``, ``Sec-Fetch-Site``) is refused."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from testkit.http import Person, add_users, register_organisation


@pytest.fixture
def cookie_session(service: Person, client: TestClient) -> tuple[TestClient, str]:
    """The service administrator's browser: the session cookie, no bearer token."""
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}])
    client.cookies.clear()
    client.post("/session", json={"username": service.username, "password": service.secrets[1]})
    assert client.cookies.get("sema_session")
    return client, user["user_id"]


def _suspend_body(user_id: str) -> bytes:
    return ('{"user_ids":["%s"],"action":"suspend"}' % user_id).encode()


def test_a_json_body_without_a_content_type_is_refused(cookie_session: tuple[TestClient, str]) -> None:
    browser, user_id = cookie_session
    response = browser.post("/users/status-changes", content=_suspend_body(user_id))
    assert response.status_code == 415
    assert browser.get(f"/users/{user_id}").json()["status"] == "pending_activation"


def test_a_form_post_is_refused(cookie_session: tuple[TestClient, str]) -> None:
    browser, user_id = cookie_session
    response = browser.post("/users/status-changes", data={"user_ids": user_id, "action": "suspend"})
    assert response.status_code == 415
    challenge = browser.post(f"/users/{user_id}/challenges", data={"x": "y"})
    assert challenge.status_code == 415


@pytest.mark.parametrize("headers", [{"Origin": "https://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}])
def test_a_cross_site_cookie_request_is_refused(cookie_session: tuple[TestClient, str], headers: dict[str, str]) -> None:
    browser, user_id = cookie_session
    response = browser.post("/users/status-changes", content=_suspend_body(user_id), headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 403 and response.json()["type"].endswith("/cross-site-request")
    assert browser.get(f"/users/{user_id}").json()["status"] == "pending_activation"


def test_a_same_origin_cookie_request_passes(cookie_session: tuple[TestClient, str]) -> None:
    browser, user_id = cookie_session
    headers = {"Content-Type": "application/json", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    response = browser.post("/users/status-changes", content=_suspend_body(user_id), headers=headers)
    assert response.status_code == 200, response.text
    assert browser.get(f"/users/{user_id}").json()["status"] == "suspended"


def test_a_bearer_token_request_carries_no_ambient_credential_and_passes(service: Person) -> None:
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}])
    service.client.cookies.clear()
    response = service.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "suspend"}, headers={"Origin": "https://tool.example"})
    assert response.status_code == 200
