"""Driving the HTTP API as each role would: log in, activate, add users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from starlette.testclient import TestClient

from testkit.people import ANSWERS, NORMALISED

__all__ = ["ANSWERS", "NORMALISED", "Person", "activate", "add_users", "log_in", "organisation_administrator", "register_organisation"]


@dataclass
class Person:
    """A logged-in principal with the secrets they used, so tests can look for them later."""

    client: TestClient
    user_id: UUID
    username: str
    token: str
    organisation_id: UUID
    secrets: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def log_in(client: TestClient, username: str, password: str) -> dict[str, Any]:
    response = client.post("/session", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    client.cookies.clear()  # tests authenticate by bearer token, one principal per request
    return response.json()


def activate(client: TestClient, username: str, one_time_password: str, password: str | None = None, answers: dict[str, str] | None = None) -> Person:
    """First log-in: one-time password, then own password and security answers."""
    password = password or f"Correct horse {len(username)} battery"
    answers = answers or ANSWERS
    session = log_in(client, username, one_time_password)
    headers = {"Authorization": f"Bearer {session['token']}"}
    response = client.post("/me/activation", json={"new_password": password, "security_answers": answers}, headers=headers)
    assert response.status_code == 204, response.text
    return Person(client, UUID(session["user_id"]), username, session["token"], UUID(session["organisation_id"]), [one_time_password, password, session["token"], *answers.values()])


def register_organisation(admin: Person, code: str, account_type: str = "mailbox", domains: list[str] | None = None) -> UUID:
    response = admin.post("/organisations", json={"name": f"Org {code}", "code": code, "account_type": account_type, "domains": domains or []})
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


def add_users(admin: Person, organisation_id: UUID, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = admin.post(f"/organisations/{organisation_id}/users/bulk", json={"users": rows})
    assert response.status_code == 201, response.text
    users: list[dict[str, Any]] = response.json()["users"]
    return users


def organisation_administrator(service: Person, organisation_id: UUID, first: str = "Olive", last: str = "Admin") -> Person:
    (created,) = add_users(service, organisation_id, [{"first_name": first, "last_name": last}])
    response = service.put(f"/organisations/{organisation_id}/administrators/{created['user_id']}")
    assert response.status_code == 204, response.text
    return activate(service.client, created["username"], created["one_time_password"])


def assert_all_not_found(answers: list[Any], detail: str) -> None:
    """Every answer is the same 404, with ``detail``: a read and the writes alike."""
    assert [a.status_code for a in answers] == [404] * len(answers), [a.text for a in answers]
    assert {a.json()["detail"] for a in answers} == {detail}
