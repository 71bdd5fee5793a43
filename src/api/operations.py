"""An operation of the HTTP API: a Starlette route that carries its pydantic models.

An :class:`Operation` names its method, path, endpoint, who may call it, and
the models of its query, body and response; its summary is the endpoint's
docstring. Being a Starlette ``Route``, the routes table (``api.routes``) is
what the application serves, and the OpenAPI document (``api.openapi``) is
generated from the same objects, so the two cannot drift apart.

Endpoints are plain ``def`` functions (the event store is synchronous): the
route reads the body asynchronously, then runs authentication, parsing and the
endpoint in the thread pool. An endpoint takes the :class:`~api.context.Context`,
the path parameters by name (typed by its annotations), and ``query``, ``body``
and ``upload`` where the operation has them.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable
from typing import Any

import anyio
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from api import idempotency
from api.access import authenticate, authorise, is_mail_system
from api.context import ApiState, Context
from api.idempotency import Reservation
from api.inputs import Body, InvalidBody, Upload, parse_json_body, parse_path, parse_query, read_input, refuse_unexpected_body
from api.problems import ApiProblem, from_api_problem, from_domain_error, problem_response
from domain.actors import Role
from domain.errors import DomainError, TooManyLogInAttempts
from sema import nowait

# Who may call an operation: a set of roles, or PUBLIC (no log-in needed).
PUBLIC: frozenset[Role] | None = None
ADMINISTRATORS = frozenset({Role.ORGANISATION_ADMINISTRATOR, Role.SERVICE_ADMINISTRATOR})
SERVICE = frozenset({Role.SERVICE_ADMINISTRATOR})
PEOPLE = frozenset({Role.USER, Role.ORGANISATION_ADMINISTRATOR, Role.SERVICE_ADMINISTRATOR})
EVERYONE = frozenset({*PEOPLE, Role.AUDITOR})
AUDITORS = frozenset({Role.AUDITOR, Role.SERVICE_ADMINISTRATOR})

THROTTLED_PAUSE_S = 2.0  # the longest a throttled log-in waits for its 429
QUICK_BODY_BYTES = 1024  # a quick operation with a larger body (a change of many users) runs in the thread pool

Endpoint = Callable[..., Any]  # (ctx, path parameters…, query=, body=, upload=) -> model | Response | None
INPUTS = ("query", "body", "upload")


class Operation(Route):
    def __init__(
        self,
        method: str,
        path: str,
        endpoint: Endpoint,
        roles: frozenset[Role] | None,
        *,
        tag: str,
        body: type[BaseModel] | None = None,
        body_media_types: tuple[Body, ...] = (Body.JSON,),
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        response_media_type: str = "application/json",
        mail_system: bool = False,  # also callable by the mail system with its own token (SEMA_MAIL_SYSTEM_TOKEN)
        on_invalid_body: Callable[..., None] | None = None,  # (ctx, refused, path parameters…, query=): may raise a fuller 422
        on_invalid_query: Callable[..., None] | None = None,  # (ctx, refused, raw body, upload, path parameters…): may raise a fuller 422
        quick: bool = False,  # hashes no password and does bounded work: may run on the event loop (ADR 63)
    ) -> None:
        self.method = method
        self.handler = endpoint
        self.roles = roles
        self.tag = tag
        self.body = body
        self.body_media_types = body_media_types
        self.query = query
        self.response = response
        self.status = status
        self.response_media_type = response_media_type
        self.mail_system = mail_system
        self.on_invalid_body = on_invalid_body
        self.on_invalid_query = on_invalid_query
        self.quick = quick
        self.summary = _summary(endpoint)
        hints = inspect.get_annotations(endpoint, eval_str=True)
        self.path_params: dict[str, type] = {name: hints.get(name, str) for name in re.findall(r"{(\w+)}", path)}
        self._inputs = _check_signature(method, path, endpoint, hints, body=body, query=query)
        super().__init__(path, self._serve, methods=[method], name=endpoint.__name__)

    async def _serve(self, request: Request) -> Response:
        state: ApiState = request.state.api
        request_id = note_request(request, f"{self.method} {self.path}")
        try:
            raw, upload = None, None
            if self.body is not None:
                raw, upload = await read_input(request, self.body_media_types, state.settings.max_body_bytes)
            elif self.method != "GET":
                refuse_unexpected_body(request)
            ctx = Context(state=state, request=request, request_id=request_id, now=state.clock.now())
            scope_state = request.scope["state"]
            if self._on_loop(state, request, raw):
                scope_state["ran_on"] = "loop"
                with nowait.no_waiting() as attempt:
                    try:
                        return self._run(ctx, raw, upload)
                    except Exception as error:
                        if attempt.committed or not nowait.would_have_waited(error):
                            raise
                # It would have waited, and nothing of it was committed: run it again where it may.
                scope_state["ran_on"] = "loop, then thread"
            else:
                scope_state["ran_on"] = "thread"
            return await run_in_threadpool(self._run, ctx, raw, upload)
        except ApiProblem as problem:
            return from_api_problem(problem)
        except TooManyLogInAttempts as error:
            # A throttled guesser waits for its answer (without holding a thread), so a
            # storm of them sends a trickle of requests rather than a flood.
            await anyio.sleep(min(error.retry_after_s, THROTTLED_PAUSE_S))
            return from_domain_error(error)
        except DomainError as error:
            return from_domain_error(error)
        except ClientDisconnect:
            return Response(status_code=400)

    def _on_loop(self, state: ApiState, request: Request, raw: bytes | None) -> bool:
        """Whether to run this request on the event loop rather than in the thread pool
        (ADR 63): a quick operation with a small body, on SQLite, when it is the
        process's only request, so that no other request waits for it; inside, nothing
        waits (``sema.nowait``). It saves the two thread hand-offs of a request. Not
        with an Idempotency-Key: giving back a reservation after a refusal to wait
        is itself a write that may have to wait."""
        return (
            self.quick
            and state.in_flight.count == 1
            and (raw is None or len(raw) <= QUICK_BODY_BYTES)
            and state.quick_on_loop
            and idempotency.HEADER not in request.headers
        )

    def _run(self, ctx: Context, raw: bytes | None, upload: Upload | None) -> Response:
        request = ctx.request
        if self.mail_system and is_mail_system(ctx.state, request):
            request.scope.setdefault("state", {})["principal_role"] = "mail_system"
        elif self.roles is not None:
            ctx.principal = authenticate(ctx.state, request, ctx.now)
            authorise(ctx.principal, self.roles, self.method, self.path)
        kwargs: dict[str, Any] = parse_path(self.path_params, request)
        if "query" in self._inputs and self.query is not None:
            try:
                kwargs["query"] = parse_query(self.query, request)
            except ApiProblem as refused:
                if self.on_invalid_query is not None:
                    # A query refused (a bulk add's mistyped dry_run) leaves the body still
                    # to be read, so that one answer names its faults as well.
                    self.on_invalid_query(ctx, refused, raw, upload, **kwargs)
                raise
        if "body" in self._inputs and self.body is not None:
            try:
                kwargs["body"] = parse_json_body(self.body, raw) if raw is not None else None
            except InvalidBody as refused:
                if self.on_invalid_body is not None:
                    # A body refused in part (a bulk add's bad rows) may still be checked in the
                    # rest, so that one answer names every fault.
                    self.on_invalid_body(ctx, refused, **kwargs)
                raise
        if "upload" in self._inputs:
            kwargs["upload"] = upload
        reservation = self._reserve(ctx, kwargs)
        if isinstance(reservation, Response):
            return reservation  # a retry: the first request's response
        try:
            response = self._serialise(self.handler(ctx, **kwargs))
        except BaseException:
            if reservation is not None:
                ctx.state.idempotency.release(reservation)
            raise
        if reservation is not None:
            ctx.state.idempotency.finish(reservation, response)
        return response

    def _reserve(self, ctx: Context, kwargs: dict[str, Any]) -> Reservation | Response | None:
        """A POST command with an Idempotency-Key: its reservation, or the stored response of its first run."""
        if self.method != "POST" or ctx.principal is None:
            return None
        key = idempotency.key_of(ctx.request)
        if key is None:
            return None
        fingerprint = idempotency.fingerprint(self.method, ctx.request.url.path, kwargs.get("query"), kwargs.get("body"), kwargs.get("upload"))
        return ctx.state.idempotency.begin(str(ctx.principal.user_id), key, fingerprint, ctx.now)

    def _serialise(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=204)
        if isinstance(result, BaseModel):
            # pydantic writes the same bytes as JSONResponse of ``model_dump(mode="json")``
            # (compact, UTF-8), without building the dicts and encoding them again.
            return Response(result.model_dump_json(), status_code=self.status, media_type="application/json")
        raise TypeError(f"{self.name} returned {type(result).__name__}")


def note_request(request: Request, route: str) -> str:
    """Names the request (the server's id, see ``new_request_id``) and route for the request log; returns the id."""
    scope_state = request.scope.setdefault("state", {})
    scope_state["route"] = route
    return str(scope_state.setdefault("request_id", new_request_id()))


class MethodNotAllowed(Route):
    """Any other method on a path of the table: 405, with ``Allow`` listing every
    method of every operation on that path (Starlette's own 405 names only the
    methods of the first route whose path matched)."""

    def __init__(self, path: str, methods: set[str]) -> None:
        self.allowed = ", ".join(sorted(methods))
        super().__init__(path, self._refuse, include_in_schema=False, name=f"method-not-allowed {path}")
        self.methods = None  # matches every method (Starlette would default a function endpoint to GET)

    async def _refuse(self, request: Request) -> Response:
        detail = f"{request.method} is not allowed on {self.path}; it allows {self.allowed}"
        return problem_response(405, "method-not-allowed", detail, headers={"Allow": self.allowed})


def served(operations: list[Operation]) -> list[Route]:
    """The routes to serve: each path's operations, then its :class:`MethodNotAllowed`.

    A path's operations are served together, where the path first appears in
    the table, so a literal path (``/users/status-changes``) answers 405 for
    the methods it lacks instead of falling through to a parameter path after
    it (``/users/{user_id}``): keep literal paths above the parameter paths
    they look like."""
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    routes: list[Route] = []
    for path, ops in by_path.items():
        routes += [*ops, MethodNotAllowed(path, set().union(*(op.methods or set() for op in ops)))]
    return routes


def new_request_id() -> str:
    """The server's id of a request: what events and log lines carry. A client's
    ``X-Request-Id`` is never used as it (it could forge or collide); it is
    logged beside it as ``client_request_id`` (see ``client_request_id_of``)."""
    return uuid.uuid4().hex


def client_request_id_of(request: Request) -> str | None:
    given = request.headers.get("x-request-id", "")
    return given if re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", given) else None


def _summary(endpoint: Endpoint) -> str:
    """The first paragraph of the endpoint's docstring, on one line."""
    doc = inspect.getdoc(endpoint)
    if not doc:
        raise TypeError(f"{endpoint.__qualname__} needs a docstring: its first paragraph is the operation's summary")
    return " ".join(doc.split("\n\n")[0].split())


def _check_signature(method: str, path: str, endpoint: Endpoint, hints: dict[str, Any], *, body: type[BaseModel] | None, query: type[BaseModel] | None) -> frozenset[str]:
    """The inputs the endpoint takes; raises if its parameters and the table's models disagree."""
    where = f"{method} {path} ({endpoint.__qualname__})"
    parameters = list(inspect.signature(endpoint).parameters)
    path_names = re.findall(r"{(\w+)}", path)
    unknown = [p for p in parameters[1:] if p not in path_names and p not in INPUTS]
    missing = [p for p in path_names if p not in parameters]
    if unknown or missing:
        raise TypeError(f"{where}: parameters {unknown} are neither path parameters nor {INPUTS}; path parameters {missing} are not taken")
    for name, model in (("body", body), ("query", query)):
        if (name in parameters) != (model is not None):
            raise TypeError(f"{where}: the table gives {name}={model and model.__name__}, the endpoint {'takes' if name in parameters else 'does not take'} {name}")
        if model is not None and model not in (hints[name], *getattr(hints[name], "__args__", ())):
            raise TypeError(f"{where}: the table's {name} model is {model.__name__}, the endpoint's annotation {hints[name]}")
    return frozenset(parameters) & frozenset(INPUTS)
