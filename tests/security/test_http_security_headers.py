"""Finding 11: no security headers (nosniff, frame-ancestors, Referrer-Policy,
HSTS behind TLS); responses carrying a one-time password or a letters key
lacked ``Cache-Control: no-store``; any Host header was accepted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.context import ApiSettings
from sema.application import SemaApplication
from sema.clock import SettableClock
from sema.config import Settings
from testkit.http import Person, register_organisation


def _assert_hardened(headers: object) -> None:
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # type: ignore[index]
    assert headers["referrer-policy"] == "no-referrer"  # type: ignore[index]
    assert headers["cache-control"] == "no-store"  # type: ignore[index]


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/security-questions"), client.get("/no/such/route"), client.get("/users"), client.get("/openapi.json")):
        _assert_hardened(response.headers)


def test_secret_bearing_responses_are_never_stored(service: Person) -> None:
    org = register_organisation(service, "westmids")
    added = service.post(f"/organisations/{org}/users/bulk", json={"users": [{"first_name": "Jane", "last_name": "Doe"}]})
    assert added.status_code == 201 and added.headers["cache-control"] == "no-store"
    letters = added.json()["letters"]
    pdf = service.get(letters["url"], headers={"Sema-Letters-Key": letters["key"]})
    assert pdf.status_code == 200 and pdf.headers["cache-control"] == "no-store"
    session = service.client.post("/session", json={"username": added.json()["users"][0]["username"], "password": added.json()["users"][0]["one_time_password"]})
    assert session.status_code == 201 and session.headers["cache-control"] == "no-store"


def test_strict_transport_security_is_sent_over_tls_only(app: SemaApplication, clock: SettableClock) -> None:
    asgi = create_app(app, clock=clock, settings=ApiSettings(hsts_seconds=600))
    with TestClient(asgi, base_url="https://testserver") as over_tls, TestClient(asgi, base_url="http://testserver") as plain:
        assert over_tls.get("/security-questions").headers["strict-transport-security"] == "max-age=600; includeSubDomains"
        assert "strict-transport-security" not in plain.get("/security-questions").headers


@pytest.fixture
def sema_example_org(app: SemaApplication, clock: SettableClock) -> Iterator[TestClient]:
    asgi = create_app(app, clock=clock, settings=ApiSettings(allowed_hosts=("sema.example.org",)))
    with TestClient(asgi, base_url="https://sema.example.org") as test_client:
        yield test_client


def test_a_request_for_another_host_is_refused(sema_example_org: TestClient) -> None:
    assert sema_example_org.get("/security-questions").status_code == 200
    refused = sema_example_org.get("/security-questions", headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_by_default_only_loopback_names_and_the_bind_address_are_served() -> None:
    assert Settings(host="127.0.0.1").served_hosts() == ("localhost", "127.0.0.1", "::1", "[::1]")
    assert "sema.internal" in Settings(host="sema.internal").served_hosts()
    assert Settings(allowed_hosts="sema.example.org, *.sema.example.org").served_hosts() == ("sema.example.org", "*.sema.example.org")
