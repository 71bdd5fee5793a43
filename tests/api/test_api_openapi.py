"""The OpenAPI document is generated from the routes table and describes every route."""

from __future__ import annotations

import re

from starlette.routing import Route

from api.openapi import document
from api.console import CONSOLE
from api.operations import MethodNotAllowed
from api.routes import API


def test_the_document_is_openapi_3_1_and_lists_every_route(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    served = {(m, r.path) for r in client.app.routes if isinstance(r, Route) and r.include_in_schema for m in (r.methods or set()) - {"HEAD"}}
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert served == documented
    undocumented = [r for r in client.app.routes if isinstance(r, Route) and not r.include_in_schema]
    console = {r.path for r in CONSOLE if isinstance(r, Route)}  # the web console's HTML pages
    assert {r.path for r in undocumented if not isinstance(r, MethodNotAllowed)} - console == {"/openapi.json"}
    assert not any(path.startswith("/console") or path == "/" for path in doc["paths"])
    # Each documented path also answers 405 for the methods it lacks.
    assert sorted(r.path for r in undocumented if isinstance(r, MethodNotAllowed)) == sorted(doc["paths"])


def test_every_request_and_response_schema_is_a_resolvable_reference(client):
    doc = client.get("/openapi.json").json()
    text = str(doc)
    for ref in set(re.findall(r"#/components/schemas/([\w.-]+)", text)):
        assert ref in doc["components"]["schemas"], ref
    bulk = doc["paths"]["/organisations/{organisation_id}/users/bulk"]["post"]
    assert set(bulk["requestBody"]["content"]) == {"application/json", "text/csv", "multipart/form-data"}
    assert bulk["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BulkAddOut"}
    assert "application/problem+json" in bulk["responses"]["422"]["content"]


def test_the_document_names_the_roles_and_path_parameter_types():
    (op,) = [o for o in API if o.name == "grant_mailbox_permission"]
    spec = document([op])["paths"][op.path]["put"]
    assert {p["name"]: p["schema"] for p in spec["parameters"]}["permission"] == {"enum": ["read", "write", "mail"], "type": "string"}
    assert "organisation_administrator" in spec["description"]
