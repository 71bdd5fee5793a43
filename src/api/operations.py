"""A route table whose entries carry their pydantic models.

Each :class:`Operation` names its method, path, who may call it, and the models
of its query, body and response. The same entries build the Starlette routes
(:func:`route_for`) and the OpenAPI document (``api.openapi``), so the two
cannot drift apart.

Endpoints are plain ``def`` functions (the event store is synchronous): the
wrapper reads the body asynchronously, then runs authentication, parsing and
the endpoint in the thread pool.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import typing
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.context import ApiState, Context, Principal
from api.problems import ApiProblem, from_api_problem, from_domain_error, invalid_request, validation_errors
from domain.actors import Role
from domain.errors import DomainError

ADMINISTRATORS = frozenset({Role.ORGANISATION_ADMINISTRATOR, Role.SERVICE_ADMINISTRATOR})
SERVICE = frozenset({Role.SERVICE_ADMINISTRATOR})
PEOPLE = frozenset({Role.USER, Role.ORGANISATION_ADMINISTRATOR, Role.SERVICE_ADMINISTRATOR})
EVERYONE = frozenset({*PEOPLE, Role.AUDITOR})


class Body(StrEnum):
    JSON = "application/json"
    CSV = "text/csv"
    MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Upload:
    """A body that is not JSON: CSV text, or a multipart form with a file."""

    media_type: str
    content: bytes
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Callable[..., Any]
    summary: str
    tag: str
    roles: frozenset[Role] | None  # None: no log-in needed
    body: type[BaseModel] | None = None
    body_media_types: tuple[Body, ...] = (Body.JSON,)
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    response_media_type: str = "application/json"
    during_activation: bool = False  # callable by a session that must still activate

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def path_params(self) -> dict[str, type]:
        hints = inspect.get_annotations(self.handler, eval_str=True)
        return {name: hints.get(name, str) for name in re.findall(r"{(\w+)}", self.path)}


class OperationTable:
    """Collects operations in declaration order; modules add theirs with the decorator."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def __call__(self, method: str, path: str, *, summary: str, tag: str, roles: Iterable[Role] | None, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.operations.append(Operation(method, path, handler, summary, tag, frozenset(roles) if roles is not None else None, **options))
            return handler

        return register


# ------------------------------------------------------------------ running


def request_id_of(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if re.fullmatch(r"[A-Za-z0-9._-]{8,64}", given) else uuid.uuid4().hex


def token_of(request: Request, cookie_name: str) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(cookie_name) or None


def authenticate(state: ApiState, request: Request, ctx: Context) -> Principal:
    token = token_of(request, state.settings.cookie_name)
    unauthenticated = ApiProblem(401, "not-authenticated", "Not authenticated", "log in first: give the session token as a Bearer token or the session cookie", headers={"WWW-Authenticate": "Bearer"})
    if token is None or len(token) > 200:
        raise unauthenticated
    session = state.sessions.find(token, ctx.now)
    if session is None:
        raise unauthenticated
    # The role is read afresh so that an appointment, revocation, suspension or
    # deletion takes effect on the next request, not at the next log-in.
    try:
        user = state.app.get_user(session.user_id)
        user.check_can_log_in(ctx.now, with_one_time_password=False)
        role = state.app.current_role(session.user_id)
    except DomainError:
        state.sessions.close(session.token_hash)
        raise unauthenticated from None
    return Principal(session=session, role=role, user_id=session.user_id, organisation_id=user.organisation_id)


def authorise(op: Operation, principal: Principal) -> None:
    if principal.session.must_activate and not op.during_activation:
        raise ApiProblem(403, "activation-required", "Activation required", "choose your own password and set your security information first (POST /me/activation)")
    if op.roles is not None and principal.role not in op.roles:
        raise ApiProblem(403, "permission-denied", "Forbidden", f"a {principal.role.value.replace('_', ' ')} may not do this")


def parse_path(op: Operation, request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors = []
    for name, kind in op.path_params.items():
        if _unstorable_text(request.path_params[name]) is not None:
            errors.append({"field": f"path.{name}", "message": "must not contain NUL characters"})
            continue
        try:
            values[name] = _adapter(kind).validate_python(request.path_params[name])
        except ValidationError as error:
            message = "must be a UUID" if kind is UUID else error.errors(include_url=False, include_input=False)[0]["msg"]
            errors.append({"field": f"path.{name}", "message": message})
    if errors:
        raise invalid_request(errors)
    return values


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def parse_query(op: Operation, request: Request) -> BaseModel | None:
    if op.query is None:
        return None
    raw: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if _unstorable_text(value) is not None:
            raise invalid_request([{"field": f"query.{key}", "message": "must not contain NUL characters"}])
    for key in request.query_params:
        if key in op.query.model_fields and _is_list(op.query.model_fields[key].annotation):
            raw[key] = request.query_params.getlist(key)
        else:
            raw[key] = request.query_params[key]
    try:
        return op.query.model_validate(raw)
    except ValidationError as error:
        raise invalid_request(validation_errors(error, "query.")) from None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list or any(typing.get_origin(a) is list for a in typing.get_args(annotation))


def parse_json_body(op: Operation, raw: bytes) -> BaseModel:
    assert op.body is not None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", "the body is nested too deeply") from None
    unstorable = _unstorable_text(data)
    if unstorable is not None:
        raise invalid_request([{"field": unstorable or "body", "message": "must not contain NUL characters or unpaired surrogates"}])
    try:
        return op.body.model_validate(data)
    except ValidationError as error:
        raise invalid_request(validation_errors(error)) from None


def _unstorable_text(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string no database can store as text, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _unstorable_text(key) is not None:
            return where
        found = _unstorable_text(item, where)
        if found is not None:
            return found
    return None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_input(op: Operation, request: Request, limit: int) -> tuple[bytes | None, Upload | None]:
    """The raw JSON body, or an upload; checks the media type."""
    if op.body is None:
        return None, None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in ("", "application/json") or media_type.endswith("+json"):
        if Body.JSON not in op.body_media_types:
            raise _unsupported(op)
        return await read_body(request, limit), None
    if media_type == Body.CSV and Body.CSV in op.body_media_types:
        return None, Upload(Body.CSV, await read_body(request, limit))
    if media_type == Body.MULTIPART and Body.MULTIPART in op.body_media_types:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=limit)
        except Exception as error:  # the multipart parser's errors carry no common base
            raise ApiProblem(400, "malformed-multipart", "Malformed form", f"the multipart body could not be read: {error}") from None
        fields: dict[str, str] = {}
        content: bytes | None = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read(limit + 1)
                if len(content) > limit:
                    raise ApiProblem(413, "body-too-large", "Request too large", f"the file must be at most {limit} bytes")
            else:
                fields[key] = value
        await form.close()
        if content is None:
            raise invalid_request([{"field": "file", "message": "attach the CSV file as the form field 'file'"}])
        return None, Upload(Body.MULTIPART, content, fields)
    raise _unsupported(op)


def _unsupported(op: Operation) -> ApiProblem:
    return ApiProblem(415, "unsupported-media-type", "Unsupported media type", f"send the body as {' or '.join(op.body_media_types)}")


def serialise(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status_code=204)
    if isinstance(result, BaseModel):
        return JSONResponse(result.model_dump(mode="json"), status_code=op.status)
    raise TypeError(f"{op.name} returned {type(result).__name__}")


def route_for(op: Operation) -> Route:
    handler_params = set(inspect.signature(op.handler).parameters)

    def run(ctx: Context, raw: bytes | None, upload: Upload | None) -> Response:
        request = ctx.request
        if op.roles is not None:
            ctx.principal = authenticate(ctx.state, request, ctx)
            scope_state = request.scope.setdefault("state", {})
            scope_state["principal_id"] = str(ctx.principal.user_id)
            scope_state["principal_role"] = ctx.principal.role.value
            authorise(op, ctx.principal)
        kwargs: dict[str, Any] = parse_path(op, request)
        if "query" in handler_params:
            kwargs["query"] = parse_query(op, request)
        if "body" in handler_params:
            kwargs["body"] = parse_json_body(op, raw) if raw is not None else None
        if "upload" in handler_params:
            kwargs["upload"] = upload
        return serialise(op, op.handler(ctx, **kwargs))

    async def endpoint(request: Request) -> Response:
        state: ApiState = request.state.api
        scope_state = request.scope.setdefault("state", {})
        request_id = scope_state.setdefault("request_id", request_id_of(request))
        scope_state["route"] = f"{op.method} {op.path}"
        try:
            raw, upload = await read_input(op, request, state.settings.max_body_bytes)
            ctx = Context(state=state, request=request, request_id=request_id, now=state.clock.now())
            return await run_in_threadpool(run, ctx, raw, upload)
        except ApiProblem as problem:
            return from_api_problem(problem)
        except DomainError as error:
            return from_domain_error(error)
        except ClientDisconnect:
            return Response(status_code=400)

    endpoint.__name__ = op.name
    return Route(op.path, endpoint, methods=[op.method], name=op.name)
