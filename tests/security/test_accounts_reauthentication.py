"""Credentials change only with the current password, activation only from an
activation session, a password change ends the other sessions, and sessions
can be listed and ended (issue 10, finding 7)."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

import pytest


warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from domain.user import User  # noqa: E402
from sema.application import SemaApplication  # noqa: E402
from sema.clock import SettableClock  # noqa: E402
from testkit.http import ANSWERS, Person, activate, add_users, log_in, register_organisation  # noqa: E402

NEW_ANSWERS = {"first_pet": "Rover the dog", "childhood_street": "Elm Road", "favourite_teacher": "Jenkins"}


@pytest.fixture
def peter(client: TestClient, service: Person) -> tuple[Person, dict[str, Any]]:
    organisation_id = register_organisation(service, "westmids")
    (user,) = add_users(service, organisation_id, [{"first_name": "Peter", "last_name": "Pan"}])
    return activate(client, user["username"], user["one_time_password"], password="Peters own pass 1"), user


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_security_information_changes_only_with_the_current_password(peter: tuple[Person, dict[str, Any]]) -> None:
    person, _ = peter
    assert person.put("/me/security-information", json={"security_answers": NEW_ANSWERS}).status_code == 422
    wrong = person.put("/me/security-information", json={"current_password": "a stolen session", "security_answers": NEW_ANSWERS})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    assert person.put("/me/security-information", json={"current_password": "Peters own pass 1", "security_answers": NEW_ANSWERS}).status_code == 204


def test_an_ordinary_session_cannot_use_activation(peter: tuple[Person, dict[str, Any]]) -> None:
    person, _ = peter
    response = person.post("/me/activation", json={"new_password": "Hijacked pass 42", "security_answers": ANSWERS})
    assert response.status_code == 403 and response.json()["type"].endswith("/activation-session-required")


def test_a_password_change_ends_the_users_other_sessions(client: TestClient, peter: tuple[Person, dict[str, Any]]) -> None:
    person, user = peter
    other = log_in(client, user["username"], "Peters own pass 1")["token"]
    assert client.get("/me", headers=bearer(other)).status_code == 200
    assert person.post("/me/password", json={"current_password": "Peters own pass 1", "new_password": "Peters next pass 2"}).status_code == 204
    assert client.get("/me", headers=bearer(other)).status_code == 401
    assert person.get("/me").status_code == 200


def test_a_user_lists_and_ends_their_sessions(client: TestClient, peter: tuple[Person, dict[str, Any]]) -> None:
    person, user = peter
    other = log_in(client, user["username"], "Peters own pass 1")["token"]
    listed = person.get("/me/sessions").json()["sessions"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert all(other not in str(s) and person.token not in str(s) for s in listed)
    (theirs,) = [s["session_id"] for s in listed if not s["current"]]
    assert person.delete(f"/me/sessions/{theirs}").status_code == 204
    assert client.get("/me", headers=bearer(other)).status_code == 401
    assert person.delete(f"/me/sessions/{theirs}").status_code == 404


def test_an_administrator_lists_and_ends_a_users_sessions(client: TestClient, service: Person, peter: tuple[Person, dict[str, Any]]) -> None:
    person, _ = peter
    (session,) = service.get(f"/users/{person.user_id}/sessions").json()["sessions"]
    assert service.delete(f"/users/{person.user_id}/sessions/{session['session_id']}").status_code == 204
    assert person.get("/me").status_code == 401


@pytest.fixture
def letter(service: Person) -> dict[str, Any]:
    """A user who has not activated yet: their username and one-time password, as on the letter."""
    organisation_id = register_organisation(service, "eastmids")
    (user,) = add_users(service, organisation_id, [{"first_name": "Wendy", "last_name": "Darling"}])
    return user


def test_activation_ends_the_other_sessions_opened_with_the_one_time_password(client: TestClient, letter: dict[str, Any]) -> None:
    earlier = log_in(client, letter["username"], letter["one_time_password"])["token"]
    activating = log_in(client, letter["username"], letter["one_time_password"])["token"]
    assert client.post("/me/activation", json={"new_password": "Wendys own pass 1", "security_answers": ANSWERS}, headers=bearer(activating)).status_code == 204
    after = log_in(client, letter["username"], "Wendys own pass 1")["token"]
    assert client.get("/me", headers=bearer(earlier)).status_code == 401
    assert client.get("/me", headers=bearer(activating)).json()["must_activate"] is False
    assert client.get("/me", headers=bearer(after)).status_code == 200


def test_a_one_time_password_session_cannot_list_or_end_sessions(client: TestClient, letter: dict[str, Any]) -> None:
    first = log_in(client, letter["username"], letter["one_time_password"])["token"]
    second = log_in(client, letter["username"], letter["one_time_password"])["token"]
    listed = client.get("/me/sessions", headers=bearer(first))
    assert listed.status_code == 403 and listed.json()["type"].endswith("/activation-required")
    ended = client.delete("/me/sessions/0123456789abcdef0123", headers=bearer(first))
    assert ended.status_code == 403 and ended.json()["type"].endswith("/activation-required")
    assert client.get("/me", headers=bearer(second)).status_code == 200


def test_a_one_time_password_session_reaches_only_activation_who_it_is_and_log_out(client: TestClient, letter: dict[str, Any]) -> None:
    from api.operations import Operation
    from api.routes import API

    token = log_in(client, letter["username"], letter["one_time_password"])["token"]
    reached = set()
    for op in API:
        if not isinstance(op, Operation) or op.roles is None or (op.method, op.path) == ("DELETE", "/session"):
            continue
        path = op.path
        for name, kind in op.path_params.items():
            path = path.replace("{" + name + "}", "00000000-0000-0000-0000-000000000000" if "UUID" in str(kind) else "x")
        response = client.request(op.method, path, headers=bearer(token), json={} if op.body is not None else None)
        if not (response.status_code == 403 and response.json()["type"].endswith("/activation-required")):
            reached.add((op.method, op.path))
    assert reached == {("GET", "/me"), ("POST", "/me/activation")}
    assert client.delete("/session", headers=bearer(token)).status_code == 204


WRONG_CHANGE = {"current_password": "a guess", "new_password": "Whatever-Pass-1"}


def test_guessing_the_current_password_is_throttled_as_log_ins_are(app: SemaApplication, clock: SettableClock, peter: tuple[Person, dict[str, Any]]) -> None:
    person, _ = peter
    for _ in range(app.settings.log_in_free_failures):
        wrong = person.post("/me/password", json=WRONG_CHANGE)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    throttled = person.post("/me/password", json={"current_password": "Peters own pass 1", "new_password": "Whatever-Pass-1"})
    assert throttled.status_code == 429 and throttled.json()["type"].endswith("/too-many-attempts") and int(throttled.headers["retry-after"]) >= 1
    also = person.put("/me/security-information", json={"current_password": "Peters own pass 1", "security_answers": NEW_ANSWERS})
    assert also.status_code == 429
    clock.advance(timedelta(seconds=int(throttled.headers["retry-after"])))
    assert person.post("/me/password", json={"current_password": "Peters own pass 1", "new_password": "Whatever-Pass-1"}).status_code == 204


def test_a_wrong_current_password_is_recorded_as_a_failed_log_in(app: SemaApplication, peter: tuple[Person, dict[str, Any]]) -> None:
    person, _ = peter
    assert person.post("/me/password", json=WRONG_CHANGE).status_code == 422
    assert person.put("/me/security-information", json={"current_password": "another guess", "security_answers": NEW_ANSWERS}).status_code == 422
    failed = [e for e in app.repository.event_store.get(person.user_id) if isinstance(e, User.LogInFailed)]
    assert [e.consecutive_failures for e in failed] == [1, 2]
    assert app.get_user(person.user_id).failed_log_ins == 2


def test_guessing_the_current_password_locks_the_account_as_failed_log_ins_do(app: SemaApplication, clock: SettableClock, client: TestClient, peter: tuple[Person, dict[str, Any]]) -> None:
    person, user = peter
    for _ in range(app.settings.max_failed_log_ins):
        assert person.post("/me/password", json=WRONG_CHANGE).status_code == 422
        clock.advance(timedelta(seconds=app.settings.log_in_longest_delay_s + 60))  # past any throttle's wait, within the session's idle time
    assert person.get("/me").status_code == 401  # a locked account's sessions stop working
    clock.advance(timedelta(minutes=20))
    refused = client.post("/session", json={"username": user["username"], "password": "Peters own pass 1"})
    assert refused.status_code == 401 and refused.json()["type"].endswith("/invalid-credentials")
