"""The OpenAPI 3.1 document, generated from the routes table's operations and their pydantic models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticUndefined
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.access import reachable_before_activation
from api.inputs import UPLOAD_FIELD, Body
from api.operations import Operation
from api.problems import PROBLEM_MEDIA_TYPE, Problem

REF = "#/components/schemas/{model}"
ERROR_STATUSES = {
    "400": "Malformed request (JSON syntax, multipart)",
    "401": "Not logged in, or the session ended",
    "403": "The principal's role may not do this, activation comes first, or a cookie-authenticated request came from another site",
    "404": "Not found (also for what belongs to another organisation)",
    "409": "Conflicting concurrent change, or a request with the same Idempotency-Key still running; try again",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "422": "Validation failed or a rule forbids it",
    "429": "Too many attempts (log-in throttling); wait as Retry-After says, then try again",
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": '^"?[!#-\\[\\]-~]{1,255}"?$'},
    "description": "retrying with the same key and body returns the first response and changes nothing (24 hours); another body: 422",
}


def openapi_route(operations: Sequence[Operation], path: str = "/openapi.json") -> Route:
    """``GET /openapi.json``: the document of ``operations``, made once."""
    body = document(operations)

    def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(body)

    return Route(path, openapi_json, methods=["GET"], include_in_schema=False)


def document(operations: Sequence[Operation], *, title: str = "sema — Secure eMail Administration", version: str = "1") -> dict[str, Any]:
    models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Problem, "serialization"): None}
    for op in operations:
        if op.body is not None:
            models[(op.body, "validation")] = None
        if op.response is not None:
            models[(op.response, "serialization")] = None
    refs, components = models_json_schema(list(models), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "the token from POST /session"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "sema_session"},
                "mailSystem": {"type": "http", "scheme": "bearer", "description": "the mail system's own token (SEMA_MAIL_SYSTEM_TOKEN); opens GET /routing only"},
            },
        },
    }


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"operationId": op.name, "summary": op.summary, "tags": [op.tag]}
    if op.roles is not None:
        spec["security"] = [{"bearer": []}, {"cookie": []}, *([{"mailSystem": []}] if op.mail_system else [])]
        spec["description"] = "Roles: " + ", ".join(sorted(r.value for r in op.roles)) + (" (also before activation)" if reachable_before_activation(op.method, op.path) else "")
    else:
        spec["security"] = []
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": TypeAdapter(kind).json_schema()} for name, kind in op.path_params.items()
    ]
    if op.query is not None:
        for name, query_field in op.query.model_fields.items():
            # The field's constraints (ge, le, lengths) are in its metadata; the document publishes them.
            annotated = Annotated[(query_field.annotation, *query_field.metadata)] if query_field.metadata else query_field.annotation
            schema = TypeAdapter(annotated).json_schema()
            if query_field.default is not None and query_field.default is not PydanticUndefined and _sendable(annotated, query_field.default):
                schema["default"] = TypeAdapter(query_field.annotation).dump_python(query_field.default, mode="json")
            parameters.append({"name": name, "in": "query", "required": query_field.is_required(), "schema": schema, "description": query_field.description or ""})
    if op.method == "POST" and op.roles is not None:
        parameters.append(IDEMPOTENCY_KEY)
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        content: dict[str, Any] = {}
        for media_type in op.body_media_types:
            if media_type is Body.JSON:
                content[media_type.value] = {"schema": refs[(op.body, "validation")]}
            elif media_type is Body.CSV:
                content[media_type.value] = {"schema": {"type": "string", "description": "CSV with a header row"}}
            else:
                content[media_type.value] = {
                    "schema": {
                        "type": "object",
                        "properties": {UPLOAD_FIELD: {"type": "string", "contentMediaType": "text/csv"}, "dry_run": {"type": "string", "enum": ["true", "false"]}},
                        "required": [UPLOAD_FIELD],
                    }
                }
        spec["requestBody"] = {"required": True, "content": content}
    responses: dict[str, Any] = {}
    if op.response_media_type == "application/pdf":
        responses[str(op.status)] = {"description": "PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    elif op.response_media_type == "text/csv":
        responses[str(op.status)] = {"description": "CSV with a header row", "content": {"text/csv": {"schema": {"type": "string"}}}}
    elif op.response is not None:
        responses[str(op.status)] = {"description": "OK", "content": {"application/json": {"schema": refs[(op.response, "serialization")]}}}
    else:
        responses[str(op.status)] = {"description": "Done"}
    problem = {"content": {PROBLEM_MEDIA_TYPE: {"schema": refs[(Problem, "serialization")]}}}
    for status, description in ERROR_STATUSES.items():
        responses[status] = {"description": description, **problem}
    spec["responses"] = responses
    return spec


def _sendable(annotated: Any, default: Any) -> bool:
    """Whether a client could send the default: an empty search text, say, means "left out" and is refused if sent."""
    try:
        TypeAdapter(annotated).validate_python(default)
    except ValidationError:
        return False
    return True
