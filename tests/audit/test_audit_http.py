"""The auditors' endpoints over real HTTP through the ASGI app: read-only, auditors
and service administrators only."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from testkit import ANSWERS
from testkit.history import SCRIPT, UNSUSPENDED, Scripted

from api.app import create_app
from api.context import ApiSettings
from domain.user import UserKind
from sema.application import NewUser
from sema.audit.export import audit_records
from sema.audit.replay import history, state_as_of
from sema.audit.verify import Verifier
from sema.clock import SettableClock

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402



@pytest.fixture
def client(scripted: Scripted, clock: SettableClock) -> Iterator[TestClient]:
    asgi = create_app(scripted.app, clock=clock, settings=ApiSettings(secure_cookies=False))
    with TestClient(asgi, base_url="http://testserver") as test_client:
        yield test_client


def logged_in(client: TestClient, username: str, one_time_password: str) -> dict[str, str]:
    """Logs in, activates, and returns the Authorization header of the session."""
    response = client.post("/session", json={"username": username, "password": one_time_password})
    assert response.status_code == 201, response.text
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    response = client.post("/me/activation", json={"new_password": f"Correct horse {len(username)} battery staple", "security_answers": ANSWERS}, headers=headers)
    assert response.status_code == 204, response.text
    return headers


def principal(scripted: Scripted, client: TestClient, clock: SettableClock, kind: str) -> dict[str, str]:
    app = scripted.app
    if kind == "organisation_administrator":
        (created,) = app.add_users(SCRIPT, clock.now(), scripted.organisation_id, [NewUser("Olive", "Admin")])
        app.appoint_administrator(SCRIPT, clock.now(), scripted.organisation_id, created.user_id)
    elif kind == "user":
        (created,) = app.add_users(SCRIPT, clock.now(), scripted.organisation_id, [NewUser("Ursula", "User")])
    else:
        app.bootstrap(clock.now())
        (created,) = app.add_users(SCRIPT, clock.now(), app.service_organisation_id(), [NewUser("Audrey", kind.title())], kind=kind)
    assert created.one_time_password
    return logged_in(client, created.username, created.one_time_password)


@pytest.fixture
def auditor(scripted: Scripted, client: TestClient, clock: SettableClock) -> dict[str, str]:
    return principal(scripted, client, clock, UserKind.AUDITOR)


def test_an_auditor_paging_through_the_events_reads_exactly_the_export(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    pages: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        response = client.get("/audit/events", params={"after": after, "limit": 7}, headers=auditor)
        assert response.status_code == 200, response.text
        pages += response.json()["events"]
        after = response.json()["next_after"]
    # Each page read is itself recorded in the history (a sensitive read): the pages
    # are the whole history, the earlier pages' reads included, all but the last page's read.
    *history, last_read = [r.as_dict() for r in audit_records(scripted.app)]
    assert pages == history
    assert (last_read["aggregate_type"], last_read["event_type"], last_read["data"]["what"]) == ("SensitiveRead", "Recorded", "audit_history_read")


def test_an_auditor_reads_a_state_as_of_a_moment(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get(f"/audit/user/{scripted.peter_id}/state", params={"as_of": "2026-03-01T10:30:00Z"}, headers=auditor)
    assert (response.status_code, response.json()) == (200, state_as_of(scripted.app, "user", scripted.peter_id, UNSUSPENDED.replace(hour=10, minute=30)))
    assert response.json()["state"]["status"] == "suspended"


def test_an_auditor_reads_a_history_in_sentences(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get(f"/audit/user/{scripted.peter_id}/history", headers=auditor)
    sentences = [line["sentence"] for line in response.json()["lines"]]
    assert (response.status_code, sentences) == (200, [line.sentence for line in history(scripted.app, "user", scripted.peter_id)])
    assert "2026-03-01 10:02 jane.admin (organisation administrator) suspended the user" in sentences


def test_an_auditor_reads_the_ledger_digest(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get("/audit/digest", headers=auditor)
    digest = Verifier(scripted.app).digest()
    assert (response.status_code, response.json()) == (200, {"position": digest.position, "link": digest.link, "digest": str(digest)})


def test_a_service_administrator_may_read_the_events(scripted: Scripted, client: TestClient, clock: SettableClock) -> None:
    headers = principal(scripted, client, clock, UserKind.SERVICE_ADMINISTRATOR)
    assert client.get("/audit/events", headers=headers).status_code == 200


AUDIT_PATHS = [
    "/audit/events",
    "/audit/user/00000000-0000-0000-0000-000000000004/state?as_of=2026-03-01T10:30:00Z",
    "/audit/user/00000000-0000-0000-0000-000000000004/history",
    "/audit/digest",
]


@pytest.mark.parametrize("role", ["organisation_administrator", "user"])
def test_others_are_forbidden_every_audit_endpoint(scripted: Scripted, client: TestClient, clock: SettableClock, role: str) -> None:
    headers = principal(scripted, client, clock, role)
    assert {path: client.get(path, headers=headers).status_code for path in AUDIT_PATHS} == dict.fromkeys(AUDIT_PATHS, 403)


def test_the_audit_endpoints_need_a_log_in(client: TestClient) -> None:
    assert client.get("/audit/events").status_code == 401


def test_an_unknown_aggregate_is_not_found_naming_the_id(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get(f"/audit/mailbox/{scripted.peter_id}/history", headers=auditor)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (404, "path.aggregate_id")


def test_a_state_before_the_aggregate_existed_is_not_found_naming_as_of(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get(f"/audit/user/{scripted.peter_id}/state", params={"as_of": "2026-03-01T09:00:00Z"}, headers=auditor)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (404, "query.as_of")


def test_an_unknown_kind_is_refused_naming_it(scripted: Scripted, client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get(f"/audit/person/{scripted.peter_id}/history", headers=auditor)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "path.kind")


def test_a_page_larger_than_the_maximum_is_refused_naming_limit(client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get("/audit/events", params={"limit": 5000}, headers=auditor)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "query.limit")


def test_a_position_beyond_any_stored_id_is_refused_naming_after(client: TestClient, auditor: dict[str, str]) -> None:
    response = client.get("/audit/events", params={"after": 2**63}, headers=auditor)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "query.after")
