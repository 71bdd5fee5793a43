"""Finding 23: a bulk add whose reply was lost could not be recovered (the
one-time passwords and letters key exist only in that reply) and a retry
created the users twice. With an ``Idempotency-Key`` (IETF httpapi draft) the
retry gets the stored response, letters key included, and changes nothing."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import select
from starlette.testclient import TestClient

from api.schemas import BulkAddIn, BulkAddQuery
from api.idempotency import IdempotencyStore, fingerprint, idempotency_table
from sema.application import SemaApplication
from sema.clock import SettableClock
from testkit import event_count
from testkit.http import Person, organisation_administrator, register_organisation

ROWS = {"users": [{"first_name": "Jane", "last_name": "Doe"}, {"first_name": "John", "last_name": "Roe"}]}


def _bulk(person: Person, org: object, key: str, body: dict = ROWS) -> object:
    return person.post(f"/organisations/{org}/users/bulk", json=body, headers={"Idempotency-Key": f'"{key}"'})


def test_a_retried_bulk_add_returns_the_first_response_and_creates_nobody_twice(app: SemaApplication, service: Person) -> None:
    org = register_organisation(service, "westmids")
    first = _bulk(service, org, "batch-2026-11-27-a")
    events_after_first = event_count(app)
    again = _bulk(service, org, "batch-2026-11-27-a")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()  # the same users, one-time passwords and letters key
    assert again.headers["idempotent-replayed"] == "true"
    assert event_count(app) == events_after_first
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 2
    letters = first.json()["letters"]
    pdf = service.get(letters["url"], headers={"Sema-Letters-Key": again.json()["letters"]["key"]})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_stored_response_holds_no_secret_in_clear(app: SemaApplication, service: Person) -> None:
    org = register_organisation(service, "westmids")
    created = _bulk(service, org, "secret-scan-key").json()
    with app.engine.connect() as conn:
        stored = repr(conn.execute(select(idempotency_table)).all())
    assert "secret-scan-key" not in stored
    for secret in [created["letters"]["key"], *(u["one_time_password"] for u in created["users"])]:
        assert secret not in stored


def test_the_same_key_with_a_different_body_is_refused(service: Person) -> None:
    org = register_organisation(service, "westmids")
    assert _bulk(service, org, "key-1").status_code == 201
    other = _bulk(service, org, "key-1", {"users": [{"first_name": "Other", "last_name": "Person"}]})
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 2


def test_a_duplicate_while_the_first_still_runs_is_a_conflict(app: SemaApplication, service: Person, clock: SettableClock) -> None:
    org = register_organisation(service, "westmids")
    path = f"/organisations/{org}/users/bulk"
    running = IdempotencyStore(app.engine, app.settings.resolved_secret_key())
    running.begin(str(service.user_id), "in-flight", fingerprint("POST", path, BulkAddQuery(), BulkAddIn.model_validate(ROWS), None), clock.now())
    response = _bulk(service, org, "in-flight")
    assert response.status_code == 409, response.text
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_failed_request_releases_its_key(service: Person) -> None:
    org = register_organisation(service, "westmids")
    refused = _bulk(service, uuid4(), "retry-after-fix")  # no such organisation
    assert refused.status_code == 404
    assert _bulk(service, org, "retry-after-fix").status_code == 201


def test_keys_belong_to_their_caller(service: Person, client: TestClient) -> None:
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    first = _bulk(service, org, "shared-key")
    second = _bulk(admin, org, "shared-key")
    assert second.status_code == 201 and "idempotent-replayed" not in second.headers
    assert second.json()["users"][0]["user_id"] != first.json()["users"][0]["user_id"]


def test_a_malformed_key_is_refused(service: Person) -> None:
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users/bulk", json=ROWS, headers={"Idempotency-Key": "bad key with spaces"})
    assert response.status_code == 400
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0
