"""The server is no looser than its OpenAPI document: published query limits,
405 with every method of a path, strict booleans in request bodies."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from api.routes import API
from testkit.http import add_users, organisation_administrator, register_organisation

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(("path", "name"), [("/users", "limit"), ("/directory", "limit"), ("/audit/events", "limit"), ("/users", "offset"), ("/directory", "offset")])
def test_query_limits_are_published_as_the_server_enforces_them(client, service, path, name):
    doc = client.get("/openapi.json").json()
    (parameter,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema = parameter["schema"]
    assert schema["type"] == "integer"
    assert schema["minimum"] >= 0 and "maximum" in schema
    published_min, published_max = schema["minimum"], schema["maximum"]
    # The server refuses just outside the published range and accepts its edges.
    assert service.get(path, params={name: published_min - 1}).status_code == 422
    assert service.get(path, params={name: published_max + 1}).status_code == 422
    assert service.get(path, params={name: published_min}).status_code == 200
    assert service.get(path, params={name: published_max}).status_code == 200


def test_a_405_lists_every_method_of_every_operation_on_the_path(client, service):
    response = client.options("/organisations", headers=service.headers)
    assert response.status_code == 405 and response.headers["content-type"] == PROBLEM
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    for path in {op.path for op in API}:
        documented = {m.upper() for m in client.get("/openapi.json").json()["paths"][path]}
        concrete = path.replace("{", "").replace("}", "")
        refused = client.request("TRACE", concrete, headers=service.headers)
        assert refused.status_code == 405, (path, refused.status_code)
        assert set(refused.headers["allow"].split(", ")) - {"HEAD"} == documented, path


def test_a_method_a_literal_path_lacks_is_a_405_not_a_parameter_path_error(client, service):
    response = service.get("/users/status-changes")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert service.get("/users/details-changes").status_code == 405


def test_a_number_is_not_a_boolean_in_a_request_body(client, service):
    organisation_id = register_organisation(service, "strict")
    admin = organisation_administrator(service, organisation_id)
    for flag in (0, 1, "true", "yes", None):
        response = admin.post(f"/organisations/{organisation_id}/users", json={"first_name": "Ann", "last_name": "Zero", "ex_directory": flag})
        assert response.status_code == 422, flag
        assert [e["field"] for e in response.json()["errors"]] == ["ex_directory"]
    response = admin.post(f"/organisations/{organisation_id}/users/bulk", json={"users": [{"first_name": "Ann", "last_name": "One"}], "dry_run": 1})
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["dry_run"]
    (created,) = add_users(admin, organisation_id, [{"first_name": "Ann", "last_name": "True", "ex_directory": True}])
    assert created["username"]


def _boolean_fields(model: type[BaseModel], seen: set[type] | None = None) -> list[tuple[str, str, bool]]:
    seen = seen if seen is not None else set()
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        if info.annotation is bool:
            strict = any(getattr(m, "strict", False) for m in info.metadata)
            found.append((model.__name__, name, strict))
        for arg in (info.annotation, *getattr(info.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found += _boolean_fields(arg, seen)
    return found


def test_every_boolean_of_every_request_body_is_strict():
    fields = [f for op in API if op.body is not None for f in _boolean_fields(op.body)]
    assert fields, "the request bodies have booleans"
    assert [f for f in fields if not f[2]] == []
